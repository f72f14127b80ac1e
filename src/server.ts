// Assembles a running drover server: store, state, controllers and the HTTP app. Used by
// `drover server`, `drover dev` and tests (which listen on port 0).
import { randomUUID } from 'node:crypto';
import { lstatSync, mkdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { buildApp } from './api/app.js';
import { kinds } from './api/kinds/registry.js';
import { compactHandler } from './controllers/compact.js';
import { drainHandler } from './controllers/drain.js';
import { HistoryCompactor } from './controllers/history-compactor.js';
import { NodeLifecycleController } from './controllers/node-lifecycle.js';
import { OperationsController } from './controllers/operations.js';
import { WorkloadController } from './controllers/workloads.js';
import { FencedStore } from './state/fenced-store.js';
import { LeaderElection } from './state/leader.js';
import { State } from './state/state.js';
import { EtcdStore } from './store/etcd.js';
import { SqliteStore } from './store/sqlite.js';
import type { Store } from './store/store.js';

export interface ServerOptions {
  /** host:port to listen on; port 0 picks a free one. */
  listen?: string;
  /** Directory for the SQLite file and other local state. */
  dataDir: string;
  /** Revisions of history the store keeps for watches and paged lists (default 10,000; on etcd the leader compacts to it). */
  historyRevisions?: number;
  /** How often the leader compacts etcd's history to `historyRevisions` (default 5 minutes; SQLite compacts itself). */
  compactionIntervalMs?: number;
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
  /** Also serve the API (with the fleet façade fleetctl uses) on this unix socket, as fleetd does. */
  fleetSocket?: string;
  /** Keep cluster state in etcd instead of SQLite: several servers share it, one leader runs the controllers. */
  etcd?: { endpoints: string[]; tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer } };
  /** Key prefix of all state (default "/drover"). */
  prefix?: string;
  /** Elect a leader to run the controllers (default: on for etcd, off otherwise). */
  leaderElection?: boolean;
  /** Lease TTL of the leader in seconds (default 5). */
  leaderTtlSeconds?: number;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  state: State;
  /** The leader election when several servers share a store (etcd), else undefined. */
  election?: LeaderElection;
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
  // Checked before anything starts, so a refused socket path leaves nothing running.
  if (opts.fleetSocket) await removeStaleSocket(opts.fleetSocket);
  const store =
    opts.store ??
    (opts.etcd ? await EtcdStore.open({ ...opts.etcd, logger: logger.child({ component: 'store' }) }) : undefined) ??
    SqliteStore.open({ path: join(dataDir, 'state.db'), historyRevisions: opts.historyRevisions, logger: logger.child({ component: 'store' }) });
  const grace = opts.machineGraceSeconds ?? 15;
  const state = await State.open({
    store,
    kinds,
    prefix: opts.prefix,
    historyEvents: opts.historyEvents,
    machineGraceSeconds: grace,
    onError: (err) => logger.error({ err }, 'store watch failed'),
  });
  const app = await buildApp({
    state,
    logger,
    config: { listen: opts.listen, dataDir, historyRevisions: opts.historyRevisions ?? 10_000, machineGraceSeconds: grace },
  });
  const makeControllers = (st: State) => [
    new OperationsController(st, { Compact: compactHandler(st), Drain: drainHandler(st) }, (err, op) => logger.error({ err, operation: op }, 'operation status write failed')),
    new NodeLifecycleController(st, st.liveness, { graceMs: grace * 1000 }, logger.child({ component: 'node-lifecycle' })),
    new WorkloadController(st, st.liveness, logger.child({ component: 'workloads' })),
    // SQLite keeps its window by itself; etcd keeps everything until told.
    ...(store.backend === 'etcd'
      ? [new HistoryCompactor(st.store, logger.child({ component: 'compactor' }), { windowRevisions: opts.historyRevisions, intervalMs: opts.compactionIntervalMs })]
      : []),
  ];
  let controllers: ReturnType<typeof makeControllers> = [];
  let leaderState: State | undefined;
  let election: LeaderElection | undefined;
  if (opts.controllers !== false && (opts.leaderElection ?? store.backend === 'etcd')) {
    // Only the leader runs controllers, on a State whose every write is fenced with the leader's
    // election revision; they start once that State's cache has reached the election.
    const electionKey = `${(opts.prefix ?? '/drover').replace(/\/+$/, '')}/leader/controllers`;
    election = new LeaderElection({
      store,
      key: electionKey,
      ttlSeconds: opts.leaderTtlSeconds,
      identity: `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`,
      logger: logger.child({ component: 'leader' }),
      onElected: async (fence) => {
        const fenced = await State.open({
          store: new FencedStore(store, electionKey, fence),
          kinds,
          prefix: opts.prefix,
          historyEvents: opts.historyEvents,
          machineGraceSeconds: grace,
          onError: (err) => logger.error({ err }, 'leader store watch failed'),
        });
        await fenced.waitForRevision(fence);
        if (election?.fence !== fence) {
          await fenced.close();
          return;
        }
        leaderState = fenced;
        controllers = makeControllers(fenced);
        for (const c of controllers) c.start();
      },
      onDeposed: async () => {
        const stopping = controllers;
        const stoppingState = leaderState;
        controllers = [];
        leaderState = undefined;
        for (const c of stopping) await c.close();
        await stoppingState?.close();
      },
    });
    election.start();
  } else if (opts.controllers !== false) {
    controllers = makeControllers(state);
    for (const c of controllers) c.start();
  }
  await app.listen({ host, port });
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  let socketServer: Server | undefined;
  if (opts.fleetSocket) {
    const path = opts.fleetSocket;
    socketServer = createServer((req, res) => app.routing(req, res));
    await new Promise<void>((ok, fail) => socketServer!.once('error', fail).listen(path, () => ok()));
  }
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${actualPort}`,
    app,
    state,
    election,
    close: () =>
      (closing ??= (async () => {
        if (election) await election.close();
        for (const c of controllers) await c.close();
        if (socketServer) {
          socketServer.closeAllConnections();
          await new Promise<void>((ok) => socketServer!.close(() => ok()));
        }
        await app.close();
        await state.close();
        await store.close();
      })()),
  };
}

/** Removes a socket file left by a dead server; refuses to take over a live one or any other file. */
async function removeStaleSocket(path: string): Promise<void> {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!stat.isSocket()) throw new Error(`--fleet-socket ${path} exists and is not a socket; remove it or choose another path`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => (probe.destroy(), resolve(true)));
    probe.once('error', () => resolve(false));
  });
  if (live) throw new Error(`--fleet-socket ${path} is in use by another process (another drover or fleetd?); stop it or choose another path`);
  rmSync(path, { force: true });
}
