// What secrets need beyond the routes every kind gets: the values a task's agent fetches to
// start it (GET /api/v1/tasks/{name}/secrets), and the rotation of the key they are sealed with.
import type { FastifyInstance } from 'fastify';
import type { Registry } from '../registry/index.js';
import { send } from './protocol/content.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';

export function registerSecretRoutes(app: FastifyInstance, registry: Registry): void {
  route(app, '/api/v1/tasks/:name/secrets', {
    GET: async (req, reply) => {
      const values = await registry.taskSecrets(contextOf(req), (req.params as { name: string }).name);
      reply.header('cache-control', 'no-store');
      return send(req, reply, 200, { kind: 'TaskSecrets', ...values });
    },
  });
  route(app, '/api/v1/system/secret-keys/rotate', {
    POST: async (req, reply) => send(req, reply, 200, { kind: 'SecretKeyRotation', ...(await registry.rotateSecretKey(contextOf(req))) }),
  });
}
