// Assembles a running drover server: store, state, controllers and the HTTP app. Used by
// `drover server`, `drover dev` and tests (which listen on port 0).
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import { hostname } from 'node:os';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { componentLogger } from './logging/component-logger.js';
import { LogRing } from './logging/log-ring.js';
import { buildApp } from './api/app.js';
import type { RateLimitOptions } from './api/rate-limit.js';
import { isLoopback } from './api/protocol/guards.js';
import type { Facade } from './api/facade.js';
import { fleetFacade } from './compat/fleet/index.js';
import { commissaireFacade } from './compat/commissaire/index.js';
import { startCommissaireListener, type CommissaireListener } from './compat/commissaire/listener.js';
import { flockerFacade } from './compat/flocker/index.js';
import { startFlockerListener, type FlockerListener } from './compat/flocker/listener.js';
import { replicanteFacade } from './compat/replicante/index.js';
import type { MachineProvider } from './providers/provider.js';
import { replicantePlatform, type ReplicanteOptions } from './providers/replicante-platform.js';
import { replicanteDeprovisionHandler } from './controllers/replicante-deprovision.js';
import { replicanteProvisionHandler } from './controllers/replicante-provision.js';
import { LeaseExpiryController } from './controllers/lease-expiry.js';
import { EventExpiryController } from './controllers/event-expiry.js';
import { DEFAULT_HEAP_GROWTH_PERCENT, setHeapGrowth } from './heap-growth.js';
import { compactHandler } from './controllers/compact.js';
import { DatasetFollowersController } from './controllers/dataset-followers.js';
import { DatasetPrimaryController } from './controllers/dataset-primary.js';
import { EndpointsController } from './controllers/endpoints.js';
import { drainHandler } from './controllers/drain.js';
import { serverEventRecorder } from './controllers/event-sink.js';
import { MaintenanceController } from './controllers/maintenance.js';
import { HistoryCompactor } from './controllers/history-compactor.js';
import { clusterOperationHandlers } from './controllers/cluster-operations.js';
import { ClusterController } from './controllers/clusters.js';
import { HostController } from './controllers/hosts.js';
import { InstallationController } from './controllers/installations.js';
import { hostControllerOptions, type HostsOptions } from './hosts/server-options.js';
import { NodeLifecycleController } from './controllers/node-lifecycle.js';
import { OperationsController } from './controllers/operations.js';
import { WorkloadController } from './controllers/workloads.js';
import { JobController } from './controllers/jobs.js';
import { CronJobController } from './controllers/cronjobs.js';
import { startDnsListener, type DnsListener } from './dns/server.js';
import { EndpointsView } from './dns/view.js';
import { parseListen } from './net/listen.js';
import type { PortRange } from './scheduler/index.js';
import { builtinCatalogDir, loadCatalog } from './packages/catalog.js';
import { internalKinds, kinds, Registry, systemContext } from './registry/index.js';
import { AlreadyExists } from './errors.js';
import { ClusterAuthenticator } from './security/authenticator.js';
import { ensureClusterPki, writeAtomic, type ClusterPki } from './security/cluster-pki.js';
import { LoginLimiter, type LoginLimiterOptions } from './security/login-limiter.js';
import { socketPeer } from './security/peer-cred.js';
import { ADMIN_USER, ADMINISTRATORS_GROUP } from './security/principal.js';
import { parseToken } from './security/secrets.js';
import { openStore, type EtcdConfig } from './state/backend.js';
import { startLeadership } from './state/leadership.js';
import { ServerDirectory } from './state/server-directory.js';
import type { Setting } from './api/system.js';
import { version } from './version.js';
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
  /** Where the server's recent log lines are kept (made with the logger when `logger` is not given). */
  logRing?: LogRing;
  /** The command's settings with where each came from, for /api/v1/system/config. */
  settings?: Record<string, Setting>;
  /** A store to use instead of SQLite in dataDir (tests, etcd later). */
  store?: Store;
  /** Seconds without heartbeats before a machine is NotReady and its tasks are replaced (default 15). */
  machineGraceSeconds?: number;
  /** How long an event is kept after it last happened (default 3600). */
  eventTtlSeconds?: number;
  /** How far the heap may grow past the live state before a full GC, in percent (default 100; 0: V8's choice). See heap-growth.ts. */
  heapGrowthPercent?: number;
  /** Run no controllers (API only). */
  controllers?: boolean;
  /** Also serve the API (with the fleet façade fleetctl uses) on this unix socket, as fleetd does. */
  fleetSocket?: string;
  /** Keep cluster state in etcd instead of SQLite: several servers share it, one leader runs the controllers. */
  etcd?: EtcdConfig;
  /** The user filled into templates of callers who may not run tasks as root (default "nobody"). */
  defaultTaskUser?: string;
  /** The namespace the façades (fleet) map to (default "default"). */
  facadeNamespace?: string;
  /** Other APIs served over the same state (default: fleet's, Flocker's and Commissaire's). */
  facades?: Facade[];
  /**
   * Serve Flocker's API v1 on its own HTTPS listener at host:port (Flocker's port is 4523; port 0
   * picks a free one): clients present a certificate of the cluster CA with CN user-NAME (`drover
   * flocker certs`). Off by default: a new port is opened only when asked for.
   */
  flockerListen?: string;
  /**
   * Also serve Commissaire's API v0 (always under /api/v0 on the main listener) on a listener of
   * its own at host:port (Commissaire's port is 8000), with the main listener's transport.
   */
  commissaireListen?: string;
  /**
   * Be a Replicante platform: serve discover/provision/deprovision on this plain-HTTP listener
   * (unauthenticated: keep it on loopback unless a proxy guards it) and provision nodes' machines
   * from the provider (local: new agent processes on this host; ssh: registered Hosts).
   */
  replicante?: ReplicanteOptions;
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
  /**
   * Authenticate every request (tokens, users, client certificates, socket peers) and create the
   * administrator's token on first start. Off by default for servers built in-process (tests),
   * where every caller is the anonymous administrator; `drover server` and `drover dev` turn it on.
   */
  auth?: boolean;
  /** Failed logins allowed per source address and window before 429 (see LoginLimiter). */
  loginLimits?: LoginLimiterOptions;
  /**
   * Serve HTTPS: true for a certificate from the cluster CA (made in dataDir/pki on first start,
   * for the listen address, this host, loopback and `tlsSans`), or PEM files of one's own.
   */
  tls?: boolean | TlsFiles;
  /** More names and addresses for the server certificate (--tls-san). */
  tlsSans?: string[];
  /** Also serve the native API on this unix socket (mode 0660): root, the server's user and --socket-group's members are administrators. */
  socket?: string;
  /** Group that owns the sockets (both --socket and --fleet-socket): its members are administrators. */
  socketGroup?: string;
  /** How long an agent has to start answering a proxied log/exec/kill (default 10 s). */
  agentAnswerMs?: number;
  /** How Hosts are bootstrapped over SSH: the agent to start on them, where hosts reach this server. */
  hosts?: HostsOptions;
  /** More directories of Package manifests (*.yaml) loaded at start, after the built-in catalog (--catalog). */
  catalogDirs?: string[];
  /** Load the catalog shipped with drover (default true). */
  builtinCatalog?: boolean;
  /** Where the scheduler allocates dynamic ports on each machine (default 20000-29999). */
  portRange?: PortRange;
  /**
   * Answer DNS for services (NAME.NAMESPACE.svc.drover) over UDP and TCP at host:port (Consul's
   * is 8600; port 0 picks a free one). Off by default: a new port is opened only when asked for.
   */
  dnsListen?: string;
  /** TTL of DNS answers in seconds (default 5: endpoints change as tasks come and go). */
  dnsTtlSeconds?: number;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** CA whose client certificates authenticate callers (besides the cluster CA). */
  clientCaFile?: string;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  state: State;
  registry: Registry;
  /** Ends every watch, log follow and exec now (the first step of a shutdown). */
  endStreams(): void;
  /** Serves the certificate now in dataDir/pki (after `drover cert rotate`) to new connections; false when not serving the cluster's. */
  reloadCertificate(): boolean;
  /** The leader election when several servers share a store (etcd), else undefined. */
  election?: LeaderElection;
  /** The cluster's certificates (dataDir/pki): its CA signs agents', users' and the server's certificates. */
  pki: ClusterPki;
  /** The administrator's bearer token, when the server authenticates (also in dataDir/admin.token). */
  adminToken?: string;
  /** PEM of the CA a client should trust for `url`, when it is https. */
  caCert?: string;
  /** The Flocker API's listener (https://host:port), when `flockerListen` was given. */
  flockerUrl?: string;
  /** Commissaire's own listener (http[s]://host:port), when `commissaireListen` was given. */
  commissaireUrl?: string;
  /** The Replicante platform's base URL (Core's platform URL), when `replicante` was given. */
  replicanteUrl?: string;
  /** The Replicante platform's provider, when `replicante` was given. */
  replicanteProvider?: MachineProvider;
  /** Where DNS is answered (UDP and TCP), when `dnsListen` was given. */
  dns?: { host: string; port: number };
  close(): Promise<void>;
}

/**
 * Connections the kernel may queue for the server to accept (Linux caps it at
 * net.core.somaxconn, 4096 by default), as Go's servers (etcd, Kubernetes) ask for. Node's
 * default of 511 overflowed when thousands of agents connected at once: the kernel dropped
 * their SYNs (795,752 ListenOverflows in a few hours of benchmarks), and a dropped connection
 * waits out TCP's retransmit backoff (1, 3, 7, 15, 31 s), so requests of a busy server's
 * clients went unanswered for 30 s without ever reaching it.
 */
const LISTEN_BACKLOG = 4096;

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { logger, ring: logRing } = opts.logger ? { logger: opts.logger, ring: opts.logRing ?? new LogRing() } : componentLogger(opts.logLevel ?? 'info', { component: 'server' }, opts.logRing);
  const { host, port } = parseListen(opts.listen ?? '127.0.0.1:8080');
  const dataDir = resolve(opts.dataDir);
  setHeapGrowth(opts.heapGrowthPercent ?? DEFAULT_HEAP_GROWTH_PERCENT);
  mkdirSync(dataDir, { recursive: true });
  // Checked before anything starts, so a refused socket path leaves nothing running.
  if (opts.fleetSocket) await removeStaleSocket(opts.fleetSocket, '--fleet-socket');
  if (opts.socket) await removeStaleSocket(opts.socket, '--socket');
  const socketGid = opts.socketGroup === undefined ? undefined : groupId(opts.socketGroup);
  const sqlite = { path: join(dataDir, 'state.db'), historyRevisions: opts.historyRevisions, quotaBytes: opts.storeQuotaBytes, initStore: opts.initStore };
  const store = await openStore(opts.store ? { store: opts.store } : opts.etcd ? { etcd: opts.etcd } : { sqlite }, logger.child({ component: 'store' }));
  // Made once the store opened (a server refused for a corrupt store writes nothing into its data
  // dir): the CA, whatever the transport (agents' API is TLS with certificates it signs), and the
  // secrets key file, created 0600 on first start (servers sharing an etcd need the same file).
  let keyring: Keyring;
  let pki: Awaited<ReturnType<typeof ensureClusterPki>>;
  try {
    pki = await ensureClusterPki(dataDir, [host, ...(opts.tlsSans ?? [])]);
    keyring = Keyring.open(opts.secretsKeyFile ?? join(dataDir, 'secrets.key'));
  } catch (err) {
    await store.close();
    throw err;
  }
  const https = opts.tls ? httpsOptions(opts.tls, pki) : undefined;
  const grace = opts.machineGraceSeconds ?? 15;
  const stateOptions = { kinds: [...kinds, ...internalKinds], prefix: opts.prefix, historyEvents: opts.historyEvents, machineGraceSeconds: grace };
  const state = await State.open({ ...stateOptions, store, onError: (err) => logger.error({ err }, 'store watch failed') });
  const registry = new Registry({ state, kinds, internalKinds, keyring, defaultTaskUser: opts.defaultTaskUser });
  // fleet's units need their namespace from the first request on.
  if (opts.facadeNamespace && !(await registry.kind('namespaces').find(systemContext, opts.facadeNamespace))) {
    await registry.kind('namespaces').create(systemContext, { metadata: { name: opts.facadeNamespace } }).catch((err: unknown) => {
      if (!(err instanceof AlreadyExists)) throw err;
    });
  }
  const authenticator = opts.auth ? new ClusterAuthenticator({ credentials: registry.credentials!, limiter: new LoginLimiter(opts.loginLimits) }) : undefined;
  const adminToken = authenticator ? await ensureAdminToken(registry, dataDir) : undefined;
  // Never fatal: a broken manifest is logged and skipped (see packages/catalog.ts).
  const catalogDirs = [...(opts.builtinCatalog === false ? [] : [builtinCatalogDir]), ...(opts.catalogDirs ?? [])];
  if (catalogDirs.length > 0) await loadCatalog(catalogDirs, registry, logger.child({ component: 'catalog' })).catch((err: unknown) => logger.error({ err }, 'loading the package catalog failed'));
  const audit =
    opts.auditLog === false
      ? undefined
      : new AuditLog({
          path: opts.auditLog?.path ?? join(dataDir, 'audit.log'),
          maxBytes: opts.auditLog?.maxBytes,
          maxFiles: opts.auditLog?.maxFiles,
          onError: (err) => logger.error({ err }, 'writing the audit log failed'),
        });
  const identity = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const electing = opts.controllers !== false && (opts.leaderElection ?? state.backend === 'etcd');
  const servers = new ServerDirectory({
    self: { identity, version, startedAt: new Date().toISOString() },
    // A dead server's registration goes with its lease, as fast as a dead leader's election key.
    ...(electing ? { store, prefix: opts.prefix, ttlSeconds: opts.leaderTtlSeconds ?? 5 } : {}),
    logger: logger.child({ component: 'servers' }),
  });
  const app = await buildApp({
    registry,
    logRing,
    servers,
    ...(opts.settings ? { settings: opts.settings } : {}),
    audit,
    rateLimit: opts.rateLimit === false ? undefined : (opts.rateLimit ?? {}),
    facades: opts.facades ?? [fleetFacade, flockerFacade, commissaireFacade, replicanteFacade],
    facadeNamespace: opts.facadeNamespace,
    logger,
    config: { listen: opts.listen, dataDir, historyRevisions: opts.historyRevisions ?? 10_000, machineGraceSeconds: grace, ...(opts.storeQuotaBytes ? { storeQuotaBytes: opts.storeQuotaBytes } : {}) },
    loopbackOnly: isLoopback(host),
    ...(authenticator ? { authenticator } : {}),
    ...(https ? { https } : {}),
    pki,
    ...(opts.agentAnswerMs ? { agentAnswerMs: opts.agentAnswerMs } : {}),
  });
  const replicante = opts.replicante
    ? replicantePlatform({
        ...opts.replicante,
        state,
        dataDir,
        serverUrl: () => hostServerUrl,
        ...(https ? { caCert: pki.ca.cert } : {}),
        ...(authenticator ? { credentials: registry.credentials } : {}),
        log: logger.child({ component: 'replicante' }),
      })
    : undefined;
  const startControllers = (st: State) => {
    const hostOptions = hostControllerOptions({ hosts: opts.hosts, registry, auth: opts.auth === true, caCert: https ? pki.ca.cert : undefined, serverUrl: () => hostServerUrl });
    const nodes = { state: st, registry, provider: replicante?.provider, namespace: opts.facadeNamespace ?? 'default' };
    const drainEvents = serverEventRecorder(st, 'drain', logger.child({ component: 'drain' }));
    const handlers = {
      Compact: compactHandler(st),
      Drain: drainHandler(st, drainEvents),
      ...clusterOperationHandlers(st, hostOptions),
      ReplicanteProvision: replicanteProvisionHandler(nodes),
      ReplicanteDeprovision: replicanteDeprovisionHandler(nodes),
    };
    const controllers = [
      new OperationsController(st, handlers, (err, op) => logger.error({ err, operation: op }, 'operation status write failed')),
      new NodeLifecycleController(st, st.liveness, { graceMs: grace * 1000 }, logger.child({ component: 'node-lifecycle' })),
      new MaintenanceController(st, logger.child({ component: 'maintenance' })),
      new WorkloadController(st, st.liveness, logger.child({ component: 'workloads' }), { portRange: opts.portRange }),
      new EndpointsController(st, logger.child({ component: 'endpoints' })),
      new JobController(st, logger.child({ component: 'jobs' })),
      new CronJobController(st, logger.child({ component: 'cronjobs' })),
      new HostController(st, hostOptions, logger.child({ component: 'hosts' })),
      new ClusterController(st, logger.child({ component: 'clusters' })),
      new DatasetPrimaryController(st, st.liveness, logger.child({ component: 'dataset-primary' })),
      new DatasetFollowersController(st, logger.child({ component: 'dataset-followers' })),
      new LeaseExpiryController(st, logger.child({ component: 'lease-expiry' })),
      new EventExpiryController(st, logger.child({ component: 'event-expiry' }), { ttlSeconds: opts.eventTtlSeconds }),
      new InstallationController(st, registry, logger.child({ component: 'installations' })),
      // SQLite keeps its window by itself; etcd keeps everything until told.
      ...(st.backend === 'etcd'
        ? [new HistoryCompactor(st, logger.child({ component: 'compactor' }), { windowRevisions: opts.historyRevisions, intervalMs: opts.compactionIntervalMs })]
        : []),
    ];
    for (const c of controllers) c.start();
    return [...controllers, { close: async () => drainEvents.close() }];
  };
  // Known once the server listens (port 0 picks one); hosts are bootstrapped only after that.
  let hostServerUrl = '';
  let controllers: { close(): Promise<void> }[] = [];
  let election: LeaderElection | undefined;
  // Noted in the server's registration: /api/v1/system/leaders says since when it leads.
  const leading = (st: State) => {
    servers.setLeading(true);
    return [...startControllers(st), { close: async () => servers.setLeading(false) }];
  };
  if (electing) {
    // Only the leader runs controllers (see state/leadership.ts).
    election = startLeadership({
      store,
      prefix: opts.prefix,
      ttlSeconds: opts.leaderTtlSeconds,
      identity,
      logger: logger.child({ component: 'leader' }),
      state: { ...stateOptions, onError: (err) => logger.error({ err }, 'leader store watch failed') },
      lead: leading,
    });
  } else if (opts.controllers !== false) {
    controllers = leading(state);
  }
  await app.listen({ host, port, backlog: LISTEN_BACKLOG });
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const socketServers: Server[] = [];
  for (const path of [opts.fleetSocket, opts.socket]) {
    if (!path) continue;
    const socketServer = createServer((req, res) => app.routing(req, res));
    // Each connection is its peer's uid (SO_PEERCRED; see security/peer-cred.ts).
    if (authenticator) socketServer.on('connection', (socket: Socket) => authenticator.trustConnection(socket, socketPeer(socket, socketGid)));
    await new Promise<void>((ok, fail) => socketServer.once('error', fail).listen(path, () => ok()));
    chmodSync(path, 0o660);
    if (socketGid !== undefined) chownSync(path, process.getuid?.() ?? 0, socketGid);
    socketServers.push(socketServer);
  }
  let flocker: FlockerListener | undefined;
  let commissaire: CommissaireListener | undefined;
  let dns: DnsListener | undefined;
  const dnsView = new EndpointsView();
  // A taken port of a façade's listener must not leave the rest of the server running.
  const stopAll = async () => {
    await servers.close();
    if (election) await election.close();
    for (const c of controllers) await c.close();
    await replicante?.close();
    await flocker?.close();
    await commissaire?.close();
    await dns?.close();
    dnsView.close();
    for (const socketServer of socketServers) socketServer.close();
    await app.close();
    audit?.close();
    await state.close();
    await store.close();
  };
  if (opts.flockerListen !== undefined) {
    const at = parseListen(opts.flockerListen);
    try {
      flocker = await startFlockerListener({
        host: at.host,
        port: at.port,
        ca: pki.ca,
        sans: opts.tlsSans,
        route: (req, res) => app.routing(req, res),
        ...(authenticator ? { trust: (socket, principal) => authenticator.trustConnection(socket, principal) } : {}),
      });
    } catch (err) {
      await stopAll();
      throw new Error(`--flocker-listen ${opts.flockerListen}: ${(err as Error).message}`);
    }
  }
  if (opts.commissaireListen !== undefined) {
    const at = parseListen(opts.commissaireListen);
    try {
      commissaire = await startCommissaireListener({ host: at.host, port: at.port, ...(https ? { https } : {}), route: (req, res) => app.routing(req, res) });
    } catch (err) {
      await stopAll();
      throw new Error(`--commissaire-listen ${opts.commissaireListen}: ${(err as Error).message}`);
    }
  }
  if (opts.dnsListen !== undefined) {
    try {
      const at = parseListen(opts.dnsListen);
      // Every server answers (not only the leader): each follows the Endpoints in its own cache.
      dnsView.follow(state.cache('endpoints'));
      dns = await startDnsListener({ ...at, view: dnsView, ttlSeconds: opts.dnsTtlSeconds ?? 5, onError: (err) => logger.error({ err }, 'answering a DNS query failed') });
    } catch (err) {
      await stopAll();
      throw new Error(`--dns-listen ${opts.dnsListen}: ${(err as Error).message}`);
    }
  }
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  hostServerUrl = `${https ? 'https' : 'http'}://${hostAddressOf(opts.hosts?.serverAddress ?? urlHost)}:${actualPort}`;
  let replicanteUrl: string | undefined;
  if (replicante) {
    const at = parseListen(opts.replicante!.listen);
    try {
      replicanteUrl = await replicante.start({
        ...at,
        route: (req, res) => app.routing(req, res),
        ...(authenticator ? { trust: (socket, principal) => authenticator.trustConnection(socket, principal) } : {}),
      });
    } catch (err) {
      await stopAll();
      throw new Error(`--replicante-listen ${opts.replicante!.listen}: ${(err as Error).message}`);
    }
  }
  await servers.start(`${https ? 'https' : 'http'}://${urlHost}:${actualPort}`).catch(async (err: unknown) => {
    await stopAll();
    throw err;
  });
  logger.info({ url: `${https ? 'https' : 'http'}://${urlHost}:${actualPort}`, store: state.backend, version, identity }, 'drover server listening');
  let closing: Promise<void> | undefined;
  return {
    url: `${https ? 'https' : 'http'}://${urlHost}:${actualPort}`,
    pki,
    ...(adminToken ? { adminToken } : {}),
    ...(https ? { caCert: https.ca ? String([https.ca].flat()[0]) : pki.ca.cert } : {}),
    ...(flocker ? { flockerUrl: flocker.url } : {}),
    ...(commissaire ? { commissaireUrl: commissaire.url } : {}),
    ...(replicanteUrl ? { replicanteUrl } : {}),
    ...(replicante ? { replicanteProvider: replicante.provider } : {}),
    ...(dns ? { dns: { host: dns.host, port: dns.port } } : {}),
    app,
    state,
    registry,
    election,
    endStreams: () => app.endStreams(),
    reloadCertificate: () => {
      if (opts.tls !== true) return false;
      const server = readFileSync(join(pki.dir, 'server.crt'), 'utf8');
      const key = readFileSync(join(pki.dir, 'server.key'), 'utf8');
      (app.server as unknown as TlsServer).setSecureContext({ ...https, cert: server, key });
      return true;
    },
    close: () =>
      (closing ??= (async () => {
        await servers.close();
        if (election) await election.close();
        for (const c of controllers) await c.close();
        // Local nodes' agents stop their tasks as they stop: no process outlives the server.
        await replicante?.close();
        await flocker?.close();
        await commissaire?.close();
        await dns?.close();
        dnsView.close();
        for (const socketServer of socketServers) {
          socketServer.closeAllConnections();
          await new Promise<void>((ok) => socketServer.close(() => ok()));
        }
        await app.close();
        audit?.close();
        await state.close();
        await store.close();
      })()),
  };
}

/** The administrator's token: made on first start, its secret kept in dataDir/admin.token (0600) for the CLI context. */
async function ensureAdminToken(registry: Registry, dataDir: string): Promise<string> {
  const file = join(dataDir, 'admin.token');
  const credentials = registry.credentials!;
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    const parsed = parseToken(token);
    if (parsed && credentials.token(parsed.id)) return token;
    // Revoked, or a new store under an old data dir: the owner of the data dir gets a new one.
  }
  const { token } = await credentials.createToken(systemContext, { user: ADMIN_USER, groups: [ADMINISTRATORS_GROUP], description: 'the administrator credential drover server made on first start' });
  writeAtomic(file, `${token}\n`, 0o600);
  return token;
}

function httpsOptions(tls: true | TlsFiles, pki: ClusterPki): HttpsServerOptions {
  const own = tls === true ? undefined : tls;
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`${flag}: cannot read "${file}": ${(err as Error).message}`);
    }
  };
  const cert = own ? read('--tls-cert', own.certFile) : pki.server.cert;
  const key = own ? read('--tls-key', own.keyFile) : pki.server.key;
  const clientCas = [pki.ca.cert, ...(own?.clientCaFile ? [read('--client-ca', own.clientCaFile)] : [])];
  // Client certificates are asked for but not required: a caller may use a token or a password
  // instead; the authenticator trusts a certificate only when this chain verified it.
  return { cert, key, ca: clientCas, requestCert: true, rejectUnauthorized: false };
}

function hostAddressOf(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

function groupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  const line = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[0] === group);
  if (!line) throw new Error(`--socket-group: no group "${group}" in /etc/group`);
  return Number(line.split(':')[2]);
}

/** Removes a socket file left by a dead server; refuses to take over a live one or any other file. */
async function removeStaleSocket(path: string, flag: string): Promise<void> {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!stat.isSocket()) throw new Error(`${flag} ${path} exists and is not a socket; remove it or choose another path`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => (probe.destroy(), resolve(true)));
    probe.once('error', () => resolve(false));
  });
  if (live) throw new Error(`${flag} ${path} is in use by another process (another drover or fleetd?); stop it or choose another path`);
  rmSync(path, { force: true });
}
