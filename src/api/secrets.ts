// What secrets need beyond the routes every kind gets: the values a task's agent fetches to
// start it (GET /api/v1/namespaces/{ns}/tasks/{name}/secrets), and the rotation of the key they are sealed with.
import type { FastifyInstance } from 'fastify';
import { DEFAULT_NAMESPACE } from '../model/index.js';
import type { Registry } from '../registry/index.js';
import { send } from './protocol/content.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';

export function registerSecretRoutes(app: FastifyInstance, registry: Registry): void {
  for (const base of ['/api/v1/tasks', '/api/v1/namespaces/:namespace/tasks']) {
    route(app, `${base}/:name/secrets`, {
      GET: async (req, reply) => {
        const { namespace = DEFAULT_NAMESPACE, name } = req.params as { namespace?: string; name: string };
        const values = await registry.taskSecrets(contextOf(req), namespace, name);
        reply.header('cache-control', 'no-store');
        return send(req, reply, 200, { kind: 'TaskSecrets', ...values });
      },
    });
  }
  route(app, '/api/v1/system/secret-keys/rotate', {
    POST: async (req, reply) => send(req, reply, 200, { kind: 'SecretKeyRotation', ...(await registry.rotateSecretKey(contextOf(req))) }),
  });
}
