// /healthz, /readyz, /metrics and /api/v1/system/{version,time,config}.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { Unavailable } from '../errors.js';
import type { State } from '../state/state.js';
import { version } from '../version.js';
import { authorize } from './protocol/auth.js';
import { send } from './protocol/content.js';
import { route } from './protocol/routes.js';

export interface SystemOptions {
  state: State;
  metrics: Registry;
  /** Server settings shown by /api/v1/system/config (never secrets). */
  config: Record<string, unknown>;
  startedAt: Date;
}

export function registerSystem(app: FastifyInstance, opts: SystemOptions): void {
  const { state } = opts;
  route(app, '/healthz', { GET: async (_req, reply) => reply.type('text/plain').send('ok\n') });
  route(app, '/readyz', {
    GET: async (_req, reply) => {
      try {
        await withTimeout(state.store.currentRevision(), 2_000);
      } catch (err) {
        throw new Unavailable(`the store does not answer: ${(err as Error).message}`);
      }
      return reply.type('text/plain').send('ok\n');
    },
  });
  route(app, '/metrics', {
    GET: async (_req, reply) => reply.type(opts.metrics.contentType).send(await opts.metrics.metrics()),
  });
  route(app, '/api/v1/system/version', {
    GET: async (req, reply) => {
      authorize(req, 'get', 'system');
      return send(req, reply, 200, { kind: 'Version', version, node: process.version, store: state.store.backend, apiVersions: ['v1'] });
    },
  });
  route(app, '/api/v1/system/time', {
    GET: async (req, reply) => {
      authorize(req, 'get', 'system');
      const now = new Date();
      return send(req, reply, 200, { kind: 'Time', time: now.toISOString(), unixMillis: now.getTime(), revision: state.revision });
    },
  });
  route(app, '/api/v1/system/config', {
    GET: async (req, reply) => {
      authorize(req, 'get', 'system');
      return send(req, reply, 200, { kind: 'Config', startedAt: opts.startedAt.toISOString(), store: state.store.backend, ...opts.config });
    },
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}
