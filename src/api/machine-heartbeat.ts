// POST /api/v1/machines/{name}/heartbeat: an agent says it is alive. Renews the machine's
// liveness lease only — no object is written, so heartbeats never become a write storm. The
// answer carries the grace period, so agents beat often enough for any server setting.
import type { FastifyInstance } from 'fastify';
import { BadRequest, NotFound } from '../errors.js';
import type { State } from '../state/state.js';
import { authorize } from './protocol/auth.js';
import { send } from './protocol/content.js';
import { route } from './protocol/routes.js';
import { nameProblem } from './resources/names.js';

export function registerHeartbeat(app: FastifyInstance, state: State): void {
  route(app, '/api/v1/machines/:name/heartbeat', {
    POST: async (req, reply) => {
      authorize(req, 'update', 'machines/status');
      const { name } = req.params as { name: string };
      const problem = nameProblem(name);
      if (problem) throw new BadRequest(`invalid name in the URL: ${problem}`);
      if (!(await state.resources('machines').getCurrent(name))) throw new NotFound(`machine "${name}" not found; register it first (POST /api/v1/machines)`);
      await state.liveness.heartbeat(name);
      // The agent paces its heartbeats by the grace period it is told.
      return send(req, reply, 200, { kind: 'Heartbeat', machine: name, graceSeconds: state.liveness.graceSeconds });
    },
  });
}
