// POST /api/v1/machines/{name}/events: an agent's events, many in one request, each created on its
// own (see registry/event-report.ts).
import type { FastifyInstance } from 'fastify';
import { API_VERSION } from '../model/index.js';
import type { Registry } from '../registry/index.js';
import { send } from './protocol/content.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';

export function registerEventReport(app: FastifyInstance, registry: Registry): void {
  route(app, '/api/v1/machines/:name/events', {
    POST: async (req, reply) => {
      const { name } = req.params as { name: string };
      const items = await registry.reportEvents(contextOf(req), name, req.body);
      return send(req, reply, 200, { apiVersion: API_VERSION, kind: 'EventReport', machine: name, items });
    },
  });
}
