// /healthz, /readyz, /metrics and /api/v1/system/{version,time,config,leaders}.
import type { FastifyInstance } from 'fastify';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { Registry } from '../registry/index.js';
import { version } from '../version.js';
import { send } from './protocol/content.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';
import { redactSettings } from './redact.js';

/** Where a setting's value came from: its default, a command-line flag, the environment or a config file. */
export type SettingSource = 'default' | 'flag' | 'environment' | 'file';

export interface Setting {
  value: unknown;
  source: SettingSource;
}

/** One server of the cluster, as it registered itself. */
export interface ServerRecord {
  identity: string;
  /** The URL its API is served at. */
  address: string;
  version: string;
  startedAt: string;
}

export interface LeadersView {
  /** Who runs the controllers, and since when; undefined while nobody does (an election under way). */
  controllers?: { identity: string; since?: string; address?: string };
  servers: ServerRecord[];
}

/** The servers of the cluster and who leads (on etcd from lease-bound registrations; on SQLite the one). */
export interface ClusterServers {
  leaders(): Promise<LeadersView>;
}

export interface SystemOptions {
  registry: Registry;
  metrics: MetricsRegistry;
  /** Server settings shown by /api/v1/system/config (never secrets). */
  config: Record<string, unknown>;
  /** Every setting of the command that started the server, with its source (shown redacted). */
  settings?: Record<string, Setting>;
  servers?: ClusterServers;
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
      return send(req, reply, 200, { kind: 'Config', startedAt: opts.startedAt.toISOString(), store: backend, ...opts.config, ...(opts.settings ? { settings: redactSettings(opts.settings) } : {}) });
    },
  });
  route(app, '/api/v1/system/leaders', {
    GET: async (req, reply) => {
      registry.authorize(contextOf(req), { verb: 'get', resource: 'system' });
      const view = opts.servers ? await opts.servers.leaders() : { servers: [] };
      return send(req, reply, 200, { kind: 'Leaders', ...view });
    },
  });
}
