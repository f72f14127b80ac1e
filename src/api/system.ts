// /healthz, /readyz, /metrics and /api/v1/system/{version,time,config}.
import type { FastifyInstance } from 'fastify';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { Registry } from '../registry/index.js';
import { version } from '../version.js';
import { send } from './protocol/content.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';

export interface SystemOptions {
  registry: Registry;
  metrics: MetricsRegistry;
  /** Server settings shown by /api/v1/system/config (never secrets). */
  config: Record<string, unknown>;
  startedAt: Date;
}

export function registerSystem(app: FastifyInstance, opts: SystemOptions): void {
  const { registry } = opts;
  route(app, '/healthz', { GET: async (_req, reply) => reply.type('text/plain').send('ok\n') });
  route(app, '/readyz', {
    GET: async (_req, reply) => {
      await registry.ready();
      return reply.type('text/plain').send('ok\n');
    },
  });
  route(app, '/metrics', {
    GET: async (req, reply) => {
      registry.authorize(contextOf(req), { verb: 'get', resource: 'metrics' });
      return reply.type(opts.metrics.contentType).send(await opts.metrics.metrics());
    },
  });
  route(app, '/api/v1/system/version', {
    GET: async (req, reply) => {
      const { backend, clusterId } = registry.storeInfo(contextOf(req));
      return send(req, reply, 200, { kind: 'Version', version, node: process.version, store: backend, clusterId, apiVersions: ['v1'] });
    },
  });
  route(app, '/api/v1/system/time', {
    GET: async (req, reply) => {
      const { revision, clusterId } = registry.storeInfo(contextOf(req));
      const now = new Date();
      return send(req, reply, 200, { kind: 'Time', time: now.toISOString(), unixMillis: now.getTime(), revision, clusterId });
    },
  });
  route(app, '/api/v1/system/config', {
    GET: async (req, reply) => {
      const { backend } = registry.storeInfo(contextOf(req));
      return send(req, reply, 200, { kind: 'Config', startedAt: opts.startedAt.toISOString(), store: backend, ...opts.config });
    },
  });
}
