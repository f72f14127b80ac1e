// Registers a path with its handlers and answers every other method with 405 and an Allow
// header (fastify alone would say 404), and OPTIONS with the Allow header.
import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import { MethodNotAllowed } from '../../errors.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const allMethods: Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export function route(app: FastifyInstance, url: string, handlers: Partial<Record<Method, RouteHandlerMethod>>): void {
  const allow = Object.keys(handlers) as Method[];
  const allowed = allow.includes('GET') ? [...allow, 'HEAD'] : allow;
  for (const m of allow) app.route({ method: m, url, handler: handlers[m]! });
  const others = allMethods.filter((m) => !allow.includes(m));
  if (!allow.includes('GET')) others.push('HEAD' as Method);
  if (others.length) {
    app.route({
      method: others,
      url,
      handler: async (req) => {
        throw new MethodNotAllowed(req.method, req.url.split('?')[0]!, allowed);
      },
    });
  }
  app.route({
    method: 'OPTIONS',
    url,
    handler: async (_req, reply) => reply.code(204).header('allow', [...allowed, 'OPTIONS'].join(', ')).send(),
  });
}
