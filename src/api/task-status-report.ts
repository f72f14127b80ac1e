// POST /api/v1/machines/{name}/taskstatus: an agent's status changes for many of its tasks in one
// request, each answered on its own (see registry/task-status-report.ts).
import type { FastifyInstance } from 'fastify';
import { API_VERSION } from '../model/index.js';
import type { Registry } from '../registry/index.js';
import { send } from './protocol/content.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';

export function registerTaskStatusReport(app: FastifyInstance, registry: Registry): void {
  route(app, '/api/v1/machines/:name/taskstatus', {
    POST: async (req, reply) => {
      const { name } = req.params as { name: string };
      const items = await registry.reportTaskStatus(contextOf(req), name, req.body);
      return send(req, reply, 200, { apiVersion: API_VERSION, kind: 'TaskStatusReport', machine: name, items });
    },
  });
}
