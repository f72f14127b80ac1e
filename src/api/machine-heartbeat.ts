// POST /api/v1/machines/{name}/heartbeat: an agent says it is alive (see Registry.heartbeat).
import type { FastifyInstance } from 'fastify';
import type { Registry } from '../registry/index.js';
import { send } from './protocol/content.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';

export function registerHeartbeat(app: FastifyInstance, registry: Registry): void {
  route(app, '/api/v1/machines/:name/heartbeat', {
    POST: async (req, reply) => {
      const { name } = req.params as { name: string };
      const { graceSeconds, clusterId, revision } = await registry.heartbeat(contextOf(req), name);
      // The agent paces its heartbeats by the grace period it is told, and checks it still talks to its cluster.
      return send(req, reply, 200, { kind: 'Heartbeat', machine: name, graceSeconds, clusterId, revision });
    },
  });
}
