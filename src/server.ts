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
import type { RateLimitOptions } from './api/rate-limit.js';
import { isLoopback } from './api/protocol/guards.js';
import type { Facade } from './api/facade.js';
import { fleetFacade } from './compat/fleet/index.js';
import { compactHandler } from './controllers/compact.js';
import { drainHandler } from './controllers/drain.js';
import { HistoryCompactor } from './controllers/history-compactor.js';
import { NodeLifecycleController } from './controllers/node-lifecycle.js';
import { OperationsController } from './controllers/operations.js';
import { WorkloadController } from './controllers/workloads.js';
import { parseListen } from './net/listen.js';
import { kinds, Registry } from './registry/index.js';
import { openStore, type EtcdConfig } from './state/backend.js';
import { startLeadership } from './state/leadership.js';
import type { LeaderElection } from './state/leader.js';
import { AuditLog } from './security/audit-log.js';
import { Keyring } from './security/keyring.js';
import { State } from './state/state.js';
import type { Store } from './store/store.js';

export { parseListen };
export { parseEtcdUrl } from './state/backend.js';

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
  etcd?: EtcdConfig;
  /** Other APIs served over the same state (default: fleet's). */
  facades?: Facade[];
  /** Key prefix of all state (default "/drover"). */
  prefix?: string;
  /** Elect a leader to run the controllers (default: on for etcd, off otherwise). */
  leaderElection?: boolean;
  /** Lease TTL of the leader in seconds (default 5). */
  leaderTtlSeconds?: number;
  /** Bytes the SQLite store may hold before its NOSPACE alarm (default min(8 GiB, what it holds + free disk space − a small reserve)). */
  storeQuotaBytes?: number;
  /** The audit log (default <dataDir>/audit.log, 100 MiB × 5 rotated files); false: none. */
  auditLog?: { path?: string; maxBytes?: number; maxFiles?: number } | false;
  /** Per-principal request rate limit (default: on, see RateLimitOptions); false: none. */
  rateLimit?: RateLimitOptions | false;
  /** The file of the keys secrets are sealed with (default <dataDir>/secrets.key, created on first start). */
  secretsKeyFile?: string;
  /** Move a corrupt SQLite store file aside and begin an empty cluster (refused when the file is sound). */
  initStore?: boolean;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  state: State;
  registry: Registry;
  /** Ends every watch, log follow and exec now (the first step of a shutdown). */
  endStreams(): void;
  /** The leader election when several servers share a store (etcd), else undefined. */
  election?: LeaderElection;
  close(): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const logger = opts.logger ?? pino({ level: opts.logLevel ?? 'info', base: { component: 'server' } });
  const { host, port } = parseListen(opts.listen ?? '127.0.0.1:8080');
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  // Checked before anything starts, so a refused socket path leaves nothing running.
  if (opts.fleetSocket) await removeStaleSocket(opts.fleetSocket);
  const sqlite = { path: join(dataDir, 'state.db'), historyRevisions: opts.historyRevisions, quotaBytes: opts.storeQuotaBytes, initStore: opts.initStore };
  const store = await openStore(opts.store ? { store: opts.store } : opts.etcd ? { etcd: opts.etcd } : { sqlite }, logger.child({ component: 'store' }));
  // Created 0600 on first start (after the store, so a refused store file leaves the data dir as it
  // was); several servers sharing an etcd need the same file (secretsKeyFile).
  let keyring: Keyring;
  try {
    keyring = Keyring.open(opts.secretsKeyFile ?? join(dataDir, 'secrets.key'));
  } catch (err) {
    await store.close();
    throw err;
  }
  const grace = opts.machineGraceSeconds ?? 15;
  const stateOptions = { kinds, prefix: opts.prefix, historyEvents: opts.historyEvents, machineGraceSeconds: grace };
  const state = await State.open({ ...stateOptions, store, onError: (err) => logger.error({ err }, 'store watch failed') });
  const registry = new Registry({ state, kinds, keyring });
  const audit =
    opts.auditLog === false
      ? undefined
      : new AuditLog({
          path: opts.auditLog?.path ?? join(dataDir, 'audit.log'),
          maxBytes: opts.auditLog?.maxBytes,
          maxFiles: opts.auditLog?.maxFiles,
          onError: (err) => logger.error({ err }, 'writing the audit log failed'),
        });
  const app = await buildApp({
    registry,
    audit,
    rateLimit: opts.rateLimit === false ? undefined : (opts.rateLimit ?? {}),
    facades: opts.facades ?? [fleetFacade],
    logger,
    config: { listen: opts.listen, dataDir, historyRevisions: opts.historyRevisions ?? 10_000, machineGraceSeconds: grace, ...(opts.storeQuotaBytes ? { storeQuotaBytes: opts.storeQuotaBytes } : {}) },
    loopbackOnly: isLoopback(host),
  });
  const startControllers = (st: State) => {
    const controllers = [
      new OperationsController(st, { Compact: compactHandler(st), Drain: drainHandler(st) }, (err, op) => logger.error({ err, operation: op }, 'operation status write failed')),
      new NodeLifecycleController(st, st.liveness, { graceMs: grace * 1000 }, logger.child({ component: 'node-lifecycle' })),
      new WorkloadController(st, st.liveness, logger.child({ component: 'workloads' })),
      // SQLite keeps its window by itself; etcd keeps everything until told.
      ...(st.backend === 'etcd'
        ? [new HistoryCompactor(st, logger.child({ component: 'compactor' }), { windowRevisions: opts.historyRevisions, intervalMs: opts.compactionIntervalMs })]
        : []),
    ];
    for (const c of controllers) c.start();
    return controllers;
  };
  let controllers: { close(): Promise<void> }[] = [];
  let election: LeaderElection | undefined;
  if (opts.controllers !== false && (opts.leaderElection ?? state.backend === 'etcd')) {
    // Only the leader runs controllers (see state/leadership.ts).
    election = startLeadership({
      store,
      prefix: opts.prefix,
      ttlSeconds: opts.leaderTtlSeconds,
      identity: `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`,
      logger: logger.child({ component: 'leader' }),
      state: { ...stateOptions, onError: (err) => logger.error({ err }, 'leader store watch failed') },
      lead: startControllers,
    });
  } else if (opts.controllers !== false) {
    controllers = startControllers(state);
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
    registry,
    election,
    endStreams: () => app.endStreams(),
    close: () =>
      (closing ??= (async () => {
        if (election) await election.close();
        for (const c of controllers) await c.close();
        if (socketServer) {
          socketServer.closeAllConnections();
          await new Promise<void>((ok) => socketServer!.close(() => ok()));
        }
        await app.close();
        audit?.close();
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
