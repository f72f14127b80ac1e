// `drover server` and `drover dev`: run the control plane in the foreground until SIGINT/SIGTERM.
import { addReplicanteFlags, replicanteOptions, type ReplicanteFlags } from './replicante-flags.js';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { LOGIN_LINK_TTL_SECONDS, startDev } from '../dev.js';
import { DEFAULT_HEAP_GROWTH_PERCENT, heapGrowthProblem } from '../heap-growth.js';
import { parseBytes } from '../scheduler/index.js';
import { parseEtcdUrl, startServer, type ServerOptions } from '../server.js';
import { addNetworkFlags, networkOptions, type NetworkFlags } from './network-flags.js';
import { addSecurityFlags, securityOptions, type SecurityFlags } from './server-security-flags.js';
import { parseDuration, UsageError } from './output.js';
import { examples } from './help.js';
import { addSettingSources, settingsOf } from './settings.js';

export function registerServerCommands(program: Command): void {
  const serverCommand = program
    .command('server')
    .description('run the drover API server (SQLite in --data, or etcd with --store etcd://…)')
    .option('--listen <host:port>', 'address to serve the API on', '127.0.0.1:8080')
    .option('--data <dir>', 'directory for the store and local state', './drover-data')
    .option('--history <revisions>', 'store revisions kept for watches and paged lists (on etcd the leader compacts to it)', toInt, 10_000)
    .option('--machine-grace <seconds>', 'seconds without heartbeats before a machine is NotReady and its tasks are replaced', toInt, 15)
    .option('--log-level <level>', 'fatal, error, warn, info, debug', 'info')
    .option('--event-ttl <duration>', 'how long an event is kept after it last happened (e.g. 1h, 30m)', '1h')
    .option('--heap-growth <percent>', 'how far the heap may grow past the live state before a full garbage collection, as Go\'s GOGC (0: V8\'s own choice, up to 300 %)', toHeapGrowth, DEFAULT_HEAP_GROWTH_PERCENT)
    .option('--store <url>', 'cluster state: sqlite (in --data, the default) or etcd://host:port[,host:port…]', 'sqlite')
    .option('--etcd-prefix <prefix>', 'key prefix of drover\'s state in etcd', '/drover')
    .option('--etcd-ca <file>', 'CA certificate (PEM) that signed the etcd server certificates; enables TLS')
    .option('--etcd-cert <file>', 'client certificate (PEM) for etcd')
    .option('--etcd-key <file>', 'client private key (PEM) for etcd')
    .option('--etcd-timeout <duration>', 'how long one etcd call may take before the request fails with 503 Unavailable (e.g. 5s, 1500ms)', '5s')
    .option('--leader-ttl <seconds>', 'lease TTL of the controller leader on etcd', toInt, 5)
    .option('--fleet-socket <path>', 'also serve the API (fleet\'s /fleet/v1 included) on this unix socket, as fleetd does at /var/run/fleet.sock')
    .option('--default-task-user <user>', 'the user tasks of callers without the tasks/root permission run as when they name none ("" refuses them instead)', 'nobody')
    .option('--fleet-namespace <namespace>', 'the namespace fleet\'s units and Flocker\'s datasets live in (they have none)', 'default')
    .option('--flocker-listen <host:port>', 'also serve Flocker\'s API v1 over HTTPS here (Flocker\'s port: 0.0.0.0:4523); clients need a certificate from `drover flocker certs`')
    .option('--commissaire-listen <host:port>', 'also serve Commissaire\'s API v0 (always under /api/v0 here) on a port of its own (Commissaire\'s: 0.0.0.0:8000), HTTPS when this server is; commctl logs in as a drover user')
    .option('--etcd-compaction-interval <seconds>', 'how often the leader compacts etcd history to --history revisions', toInt, 300)
    .option('--store-quota <size>', 'bytes the SQLite store may hold before it takes only deletes (e.g. 2Gi; default min(8Gi, free disk space))', toSize)
    .option('--init-store', 'if state.db is corrupt, move it aside and begin an empty cluster (for one start: refused when the store is sound)')
    .option('--no-auth', 'authenticate nobody: every caller is an administrator (for tests on a trusted host only; a warning at start)')
    .option('--insecure-http', 'serve plain HTTP instead of HTTPS (requests are still authenticated; credentials then cross the network in clear text)')
    .option('--tls-cert <file>', 'server certificate (PEM) to serve instead of one from the cluster CA; with --tls-key')
    .option('--tls-key <file>', 'private key (PEM) of --tls-cert')
    .option('--client-ca <file>', 'also accept client certificates signed by this CA (PEM); the cluster CA\'s are always accepted')
    .option('--tls-san <name>', 'another DNS name or IP address for the server certificate (repeatable)', collect, [])
    .option('--socket <path>', 'also serve the API on this unix socket (mode 0660): root and --socket-group are administrators')
    .option('--socket-group <group>', 'group owning --socket and --fleet-socket, whose members are administrators')
    .option('--no-write-context', 'do not write the "default" context (server, CA, admin token) to the CLI config file')
    .option('--catalog <dir>', 'also load the Package manifests (*.yaml) of this directory at start, after the built-in catalog (repeatable)', collect, []);
  addSettingSources(addNetworkFlags(addSecurityFlags(addReplicanteFlags(serverCommand))), 'DROVER_SERVER_')
    .addHelpText(
      'after',
      examples(`
        drover server                            # HTTPS on 127.0.0.1:8080; then: drover get svc
        drover server --listen 0.0.0.0:8080 --data /var/lib/drover --tls-san drover.example.com
        drover server --store etcd://10.0.0.1:2379,10.0.0.2:2379   # several servers share etcd
        drover server --fleet-socket /var/run/fleet.sock            # fleetctl works without flags
        drover server --flocker-listen 0.0.0.0:4523                 # Flocker's API; users: drover flocker certs
        drover server --commissaire-listen 0.0.0.0:8000             # Commissaire's API for commctl; users: drover user add
        drover server --replicante-listen 127.0.0.1:9000            # a Replicante platform at http://127.0.0.1:9000/
        drover server --catalog /etc/drover/catalog                 # more packages for drover package install
        drover server --dns-listen 127.0.0.1:8600                   # then: dig @127.0.0.1 -p 8600 web.default.svc.drover`),
    )
    .action(async (opts: ServerCommandOptions, cmd: Command) => {
      if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw new UsageError('--tls-cert and --tls-key go together: give both or neither');
      if (opts.insecureHttp && (opts.tlsCert || opts.clientCa)) throw new UsageError('--insecure-http serves no TLS: drop --tls-cert/--tls-key/--client-ca, or --insecure-http');
      const server = await startServer({
        settings: settingsOf(cmd),
        auth: opts.auth,
        tls: opts.insecureHttp ? false : opts.tlsCert ? { certFile: opts.tlsCert, keyFile: opts.tlsKey!, ...(opts.clientCa ? { clientCaFile: opts.clientCa } : {}) } : true,
        tlsSans: opts.tlsSan,
        ...(opts.socket ? { socket: opts.socket } : {}),
        ...(opts.socketGroup ? { socketGroup: opts.socketGroup } : {}),
        listen: opts.listen,
        dataDir: opts.data,
        historyRevisions: opts.history,
        compactionIntervalMs: opts.etcdCompactionInterval * 1000,
        machineGraceSeconds: opts.machineGrace,
        eventTtlSeconds: eventTtlSeconds(opts.eventTtl),
        heapGrowthPercent: opts.heapGrowth,
        logLevel: opts.logLevel,
        ...(opts.fleetSocket ? { fleetSocket: opts.fleetSocket } : {}),
        ...(opts.flockerListen ? { flockerListen: opts.flockerListen } : {}),
        ...(opts.commissaireListen ? { commissaireListen: opts.commissaireListen } : {}),
        catalogDirs: opts.catalog,
        facadeNamespace: opts.fleetNamespace,
        defaultTaskUser: opts.defaultTaskUser,
        ...(opts.storeQuota ? { storeQuotaBytes: opts.storeQuota } : {}),
        ...(opts.initStore ? { initStore: true } : {}),
        ...replicanteOptions(opts),
        ...networkOptions(opts),
        ...storeOptions(opts),
        ...securityOptions(opts),
      });
      if (!opts.auth) console.error('warning: --no-auth: every caller is an administrator, with no credentials; anyone who reaches the port may run anything on every machine');
      if (opts.insecureHttp) console.error('warning: --insecure-http: the API is served without TLS; tokens and passwords cross the network in clear text');
      const sockets = [opts.fleetSocket, opts.socket].filter(Boolean);
      if (sockets.length && opts.auth && !(await import('../security/peer-cred.js')).hasPeerCredentials) {
        console.error('warning: dist/drover-peercred.node is missing (npm run build without Node headers): whoever may open the unix socket is an administrator');
      }
      if (server.flockerUrl) console.error(`  Flocker API v1 on ${server.flockerUrl}/v1 (client certificates: drover flocker certs --user NAME DIR)`);
      if (server.commissaireUrl) console.error(`  Commissaire API v0 on ${server.commissaireUrl}/api/v0 (HTTP basic as a drover user: drover user add NAME)`);
      if (server.replicanteUrl) console.error(`  Replicante platform at ${server.replicanteUrl} (provider: ${opts.replicanteProvider})`);
      if (server.dns) console.error(`  DNS on ${server.dns.host}:${server.dns.port} (UDP and TCP): dig @${server.dns.host} -p ${server.dns.port} NAME.NAMESPACE.svc.drover`);
      console.error(`drover server listening on ${server.url}${sockets.length ? ` and ${sockets.join(', ')}` : ''} (${opts.store === 'sqlite' ? `data in ${opts.data}` : `state in ${opts.store} under ${opts.etcdPrefix}`})`);
      if (opts.writeContext && opts.auth) {
        const { configPath, setContext, SERVER_CONTEXT } = await import('./config.js');
        setContext(SERVER_CONTEXT, server.url, true, configPath(), { token: server.adminToken, ...(server.caCert ? { certificateAuthorityData: server.caCert } : {}) });
        console.error(`  context "${SERVER_CONTEXT}" (server, CA, admin token) written to ${configPath()}: try drover get machines`);
      }
      // `drover cert rotate` then SIGHUP: the renewed certificate without a restart.
      process.on('SIGHUP', () => console.error(server.reloadCertificate() ? 'drover: SIGHUP, serving the certificate in pki/server.crt' : 'drover: SIGHUP ignored: not serving the cluster CA\'s certificate'));
      await untilSignal(server);
    });

  const devCommand = program
    .command('dev')
    .description('run a server on SQLite plus local agents, for development: the quickest way to try drover')
    .option('--agents <n>', 'number of local agents', toInt, 3)
    .option('--listen <host:port>', 'address to serve the API on', '127.0.0.1:8080')
    .option('--data <dir>', 'directory for the store and the agents\' files', './drover-data')
    .option('--machine-grace <seconds>', 'seconds without heartbeats before a machine is NotReady', toInt, 15)
    .option('--log-level <level>', 'fatal, error, warn, info, debug', 'warn')
    .option('--fleet-socket <path>', 'also serve the API (fleet\'s /fleet/v1 included) on this unix socket, as fleetd does at /var/run/fleet.sock')
    .option('--flocker-listen <host:port>', 'also serve Flocker\'s API v1 over HTTPS here (e.g. 127.0.0.1:4523); clients need a certificate from `drover flocker certs`')
    .option('--commissaire-listen <host:port>', 'also serve Commissaire\'s API v0 on a port of its own (e.g. 127.0.0.1:8000); commctl logs in as a drover user')
    .option('--catalog <dir>', 'also load the Package manifests (*.yaml) of this directory at start, after the built-in catalog (repeatable)', collect, []);
  addNetworkFlags(addSecurityFlags(addReplicanteFlags(devCommand)))
    .addHelpText(
      'after',
      examples(`
        drover dev                              # server + 3 agents at http://127.0.0.1:8080
        drover dev --agents 1 --listen 127.0.0.1:9090 --data /tmp/drover
        drover dev --fleet-socket /tmp/fleet.sock   # fleetctl --endpoint unix:///tmp/fleet.sock
        drover dev --catalog ./my-packages          # then: drover package list
        drover dev --dns-listen 127.0.0.1:8600      # dig @127.0.0.1 -p 8600 SRV _http._tcp.web.default.svc.drover`),
    )
    .action(async (opts: { agents: number; listen: string; data: string; machineGrace: number; logLevel: string; fleetSocket?: string; flockerListen?: string; commissaireListen?: string; catalog: string[] } & SecurityFlags & ReplicanteFlags & NetworkFlags) => {
      const dev = await startDev({
        auth: true,
        agents: opts.agents,
        listen: opts.listen,
        dataDir: opts.data,
        machineGraceSeconds: opts.machineGrace,
        logLevel: opts.logLevel,
        ...(opts.fleetSocket ? { fleetSocket: opts.fleetSocket } : {}),
        server: {
          ...securityOptions(opts),
          ...(opts.flockerListen ? { flockerListen: opts.flockerListen } : {}),
          ...(opts.commissaireListen ? { commissaireListen: opts.commissaireListen } : {}),
          ...replicanteOptions(opts),
          ...networkOptions(opts),
          catalogDirs: opts.catalog,
        },
      });
      // The CLI finds this server without flags: the "dev" context becomes current.
      (await import('./config.js')).writeDevContext(dev.url, undefined, { token: dev.server.adminToken });
      console.log(`drover dev: API at ${dev.url}/api/v1 with ${opts.agents} agent${opts.agents === 1 ? '' : 's'} (data in ${opts.data})`);
      const loginUrl = await dev.consoleLoginUrl();
      console.log(`  web console: ${dev.url}/ui/`);
      if (loginUrl) console.log(`    log in with this link (once, within ${LOGIN_LINK_TTL_SECONDS / 60} minutes): ${loginUrl}`);
      if (opts.fleetSocket) console.log(`  fleet API on ${opts.fleetSocket}: fleetctl --endpoint unix://${resolve(opts.fleetSocket)} list-machines`);
      if (dev.server.commissaireUrl) console.log(`  Commissaire API on ${dev.server.commissaireUrl}/api/v0 (and ${dev.url}/api/v0): commctl as a drover user (drover user add NAME)`);
      if (dev.server.dns) console.log(`  DNS on ${dev.server.dns.host}:${dev.server.dns.port}: dig @${dev.server.dns.host} -p ${dev.server.dns.port} NAME.default.svc.drover`);
      if (dev.server.replicanteUrl) console.log(`  Replicante platform at ${dev.server.replicanteUrl} (provider: ${opts.replicanteProvider})`);
      if (dev.server.flockerUrl) console.log(`  Flocker API on ${dev.server.flockerUrl}/v1: drover flocker certs --user NAME --data ${join(opts.data, 'server')} DIR`);
      console.log(`  try: drover get machines`);
      console.log(`       curl -H "Authorization: Bearer $(cat ${join(opts.data, 'server', 'admin.token')})" ${dev.url}/api/v1/machines`);
      await untilSignal(dev);
    });
}

interface ServerCommandOptions extends SecurityFlags, ReplicanteFlags, NetworkFlags {
  flockerListen?: string;
  commissaireListen?: string;
  catalog: string[];
  listen: string;
  data: string;
  fleetNamespace: string;
  defaultTaskUser: string;
  history: number;
  machineGrace: number;
  eventTtl: string;
  heapGrowth: number;
  logLevel: string;
  store: string;
  etcdPrefix: string;
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
  etcdTimeout: string;
  leaderTtl: number;
  fleetSocket?: string;
  etcdCompactionInterval: number;
  storeQuota?: number;
  initStore?: boolean;
  auth: boolean;
  insecureHttp?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
  tlsSan: string[];
  socket?: string;
  socketGroup?: string;
  writeContext: boolean;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function storeOptions(opts: ServerCommandOptions): Pick<ServerOptions, 'etcd' | 'prefix' | 'leaderTtlSeconds'> {
  if (opts.store === 'sqlite') return {};
  if (!opts.store.startsWith('etcd://')) throw new UsageError(`--store must be sqlite or etcd://host:port[,host:port…], got "${opts.store}"`);
  if (opts.storeQuota) throw new UsageError('--store-quota is for the SQLite store: etcd has its own quota (etcd --quota-backend-bytes)');
  if (opts.initStore) throw new UsageError('--init-store is for the SQLite store: an etcd cluster is set up with etcd\'s own tools');
  if (!opts.etcdPrefix.startsWith('/')) throw new UsageError(`--etcd-prefix must start with "/", got "${opts.etcdPrefix}"`);
  if (Boolean(opts.etcdCert) !== Boolean(opts.etcdKey)) throw new UsageError('--etcd-cert and --etcd-key go together: give both or neither');
  const requestTimeoutMs = parseDuration(opts.etcdTimeout, '--etcd-timeout');
  if (requestTimeoutMs <= 0) throw new UsageError(`--etcd-timeout must be longer than 0, got "${opts.etcdTimeout}"`);
  const read = (flag: string, file: string | undefined) => {
    if (!file) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new UsageError(`${flag}: cannot read "${file}": ${(err as Error).message}`);
    }
  };
  const isTls = Boolean(opts.etcdCa || opts.etcdCert);
  const tls = isTls ? { ca: read('--etcd-ca', opts.etcdCa), cert: read('--etcd-cert', opts.etcdCert), key: read('--etcd-key', opts.etcdKey) } : undefined;
  return { etcd: { endpoints: parseEtcdUrl(opts.store, isTls), requestTimeoutMs, ...(tls ? { tls } : {}) }, prefix: opts.etcdPrefix, leaderTtlSeconds: opts.leaderTtl };
}

function toHeapGrowth(v: string): number {
  const percent = /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  const problem = heapGrowthProblem(percent);
  if (problem) throw new InvalidArgumentError(problem.replace(/got NaN$/, `got "${v}"`));
  return percent;
}

function eventTtlSeconds(v: string): number {
  const ms = parseDuration(v, '--event-ttl');
  if (ms < 1000) throw new UsageError(`--event-ttl must be at least 1s, got "${v}"`);
  return Math.round(ms / 1000);
}

function toSize(v: string): number {
  let bytes: number;
  try {
    bytes = parseBytes(v, 'size');
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  if (bytes < 1024 * 1024) throw new InvalidArgumentError(`a store needs at least 1Mi, got "${v}"`);
  return bytes;
}

function toInt(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected a whole number, got "${v}"`);
  return Number(v);
}

function untilSignal(server: { close(): Promise<void> }): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      console.error(`drover: ${signal}, shutting down`);
      server.close().then(resolve, (err) => {
        console.error(`error: shutdown failed: ${(err as Error).message}`);
        process.exit(1);
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
