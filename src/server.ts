// Assembles a running drover server: store, state, controllers and the HTTP app. Used by
// `drover server`, `drover dev` and tests (which listen on port 0).
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { buildApp } from './api/app.js';
import { kinds } from './api/kinds/registry.js';
import { compactHandler } from './controllers/compact.js';
import { NodeLifecycleController } from './controllers/node-lifecycle.js';
import { OperationsController } from './controllers/operations.js';
import { WorkloadController } from './controllers/workloads.js';
import { State } from './state/state.js';
import { SqliteStore } from './store/sqlite.js';
import type { Store } from './store/store.js';

export interface ServerOptions {
  /** host:port to listen on; port 0 picks a free one. */
  listen?: string;
  /** Directory for the SQLite file and other local state. */
  dataDir: string;
  /** Revisions of history the store keeps for watches and paged lists. */
  historyRevisions?: number;
  /** Events each kind's watch cache keeps for resuming watches (older resumes answer 410). */
  historyEvents?: number;
  logLevel?: string;
  logger?: Logger;
  /** A store to use instead of SQLite in dataDir (tests, etcd later). */
  store?: Store;
  /** Seconds without heartbeats before a machine is NotReady and its tasks are replaced (default 15). */
  machineGraceSeconds?: number;
  /** Run no controllers (API only). */
  controllers?: boolean;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  state: State;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen must be host:port (e.g. 127.0.0.1:8080), got "${listen}"`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`--listen port must be 0–65535, got ${port}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const logger = opts.logger ?? pino({ level: opts.logLevel ?? 'info', base: { component: 'server' } });
  const { host, port } = parseListen(opts.listen ?? '127.0.0.1:8080');
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const store =
    opts.store ??
    SqliteStore.open({ path: join(dataDir, 'state.db'), historyRevisions: opts.historyRevisions, logger: logger.child({ component: 'store' }) });
  const grace = opts.machineGraceSeconds ?? 15;
  const state = await State.open({
    store,
    kinds,
    historyEvents: opts.historyEvents,
    machineGraceSeconds: grace,
    onError: (err) => logger.error({ err }, 'store watch failed'),
  });
  const operations = new OperationsController(state, { Compact: compactHandler(state) }, (err, op) =>
    logger.error({ err, operation: op }, 'operation status write failed'),
  );
  const app = await buildApp({
    state,
    logger,
    config: { listen: opts.listen, dataDir, historyRevisions: opts.historyRevisions ?? 10_000, machineGraceSeconds: grace },
  });
  const controllers = opts.controllers === false ? [] : [
    operations,
    new NodeLifecycleController(state, state.liveness, { graceMs: grace * 1000 }, logger.child({ component: 'node-lifecycle' })),
    new WorkloadController(state, state.liveness, logger.child({ component: 'workloads' })),
  ];
  for (const c of controllers) c.start();
  await app.listen({ host, port });
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${actualPort}`,
    app,
    state,
    close: () =>
      (closing ??= (async () => {
        for (const c of controllers) await c.close();
        await app.close();
        await state.close();
        await store.close();
      })()),
  };
}
