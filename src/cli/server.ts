// `drover server` and `drover dev`: run the control plane in the foreground until SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { startDev } from '../dev.js';
import { parseBytes } from '../scheduler/index.js';
import { parseEtcdUrl, startServer, type ServerOptions } from '../server.js';
import { addSecurityFlags, securityOptions, type SecurityFlags } from './server-security-flags.js';
import { parseDuration, UsageError } from './output.js';
import { examples } from './help.js';

export function registerServerCommands(program: Command): void {
  const serverCommand = program
    .command('server')
    .description('run the drover API server (SQLite in --data, or etcd with --store etcd://…)')
    .option('--listen <host:port>', 'address to serve the API on', '127.0.0.1:8080')
    .option('--data <dir>', 'directory for the store and local state', './drover-data')
    .option('--history <revisions>', 'store revisions kept for watches and paged lists (on etcd the leader compacts to it)', toInt, 10_000)
    .option('--machine-grace <seconds>', 'seconds without heartbeats before a machine is NotReady and its tasks are replaced', toInt, 15)
    .option('--log-level <level>', 'fatal, error, warn, info, debug', 'info')
    .option('--store <url>', 'cluster state: sqlite (in --data, the default) or etcd://host:port[,host:port…]', 'sqlite')
    .option('--etcd-prefix <prefix>', 'key prefix of drover\'s state in etcd', '/drover')
    .option('--etcd-ca <file>', 'CA certificate (PEM) that signed the etcd server certificates; enables TLS')
    .option('--etcd-cert <file>', 'client certificate (PEM) for etcd')
    .option('--etcd-key <file>', 'client private key (PEM) for etcd')
    .option('--etcd-timeout <duration>', 'how long one etcd call may take before the request fails with 503 Unavailable (e.g. 5s, 1500ms)', '5s')
    .option('--leader-ttl <seconds>', 'lease TTL of the controller leader on etcd', toInt, 5)
    .option('--fleet-socket <path>', 'also serve the API (fleet\'s /fleet/v1 included) on this unix socket, as fleetd does at /var/run/fleet.sock')
    .option('--etcd-compaction-interval <seconds>', 'how often the leader compacts etcd history to --history revisions', toInt, 300)
    .option('--store-quota <size>', 'bytes the SQLite store may hold before it takes only deletes (e.g. 2Gi; default min(8Gi, free disk space))', toSize)
    .option('--init-store', 'if state.db is corrupt, move it aside and begin an empty cluster (for one start: refused when the store is sound)');
  addSecurityFlags(serverCommand)
    .addHelpText(
      'after',
      examples(`
        drover server --listen 0.0.0.0:8080 --data /var/lib/drover
        drover server --store etcd://10.0.0.1:2379,10.0.0.2:2379   # several servers share etcd
        drover server --fleet-socket /var/run/fleet.sock            # fleetctl works without flags`),
    )
    .action(async (opts: ServerCommandOptions) => {
      const server = await startServer({
        listen: opts.listen,
        dataDir: opts.data,
        historyRevisions: opts.history,
        compactionIntervalMs: opts.etcdCompactionInterval * 1000,
        machineGraceSeconds: opts.machineGrace,
        logLevel: opts.logLevel,
        ...(opts.fleetSocket ? { fleetSocket: opts.fleetSocket } : {}),
        ...(opts.storeQuota ? { storeQuotaBytes: opts.storeQuota } : {}),
        ...(opts.initStore ? { initStore: true } : {}),
        ...storeOptions(opts),
        ...securityOptions(opts),
      });
      console.error(`drover server listening on ${server.url}${opts.fleetSocket ? ` and ${opts.fleetSocket}` : ''} (${opts.store === 'sqlite' ? `data in ${opts.data}` : `state in ${opts.store} under ${opts.etcdPrefix}`})`);
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
    .option('--fleet-socket <path>', 'also serve the API (fleet\'s /fleet/v1 included) on this unix socket, as fleetd does at /var/run/fleet.sock');
  addSecurityFlags(devCommand)
    .addHelpText(
      'after',
      examples(`
        drover dev                              # server + 3 agents at http://127.0.0.1:8080
        drover dev --agents 1 --listen 127.0.0.1:9090 --data /tmp/drover
        drover dev --fleet-socket /tmp/fleet.sock   # fleetctl --endpoint unix:///tmp/fleet.sock`),
    )
    .action(async (opts: { agents: number; listen: string; data: string; machineGrace: number; logLevel: string; fleetSocket?: string } & SecurityFlags) => {
      const dev = await startDev({
        agents: opts.agents,
        listen: opts.listen,
        dataDir: opts.data,
        machineGraceSeconds: opts.machineGrace,
        logLevel: opts.logLevel,
        ...(opts.fleetSocket ? { fleetSocket: opts.fleetSocket } : {}),
        server: securityOptions(opts),
      });
      // The CLI finds this server without flags: the "dev" context becomes current.
      (await import('./config.js')).writeDevContext(dev.url);
      console.log(`drover dev: API at ${dev.url}/api/v1 with ${opts.agents} agent${opts.agents === 1 ? '' : 's'} (data in ${opts.data})`);
      if (opts.fleetSocket) console.log(`  fleet API on ${opts.fleetSocket}: fleetctl --endpoint unix://${resolve(opts.fleetSocket)} list-machines`);
      console.log(`  try: curl ${dev.url}/api/v1/machines`);
      console.log(`       curl -X POST ${dev.url}/api/v1/tasks -H 'content-type: application/json' -d '{"spec":{"template":{"command":["echo","hello"]}}}'`);
      await untilSignal(dev);
    });
}

interface ServerCommandOptions extends SecurityFlags {
  listen: string;
  data: string;
  history: number;
  machineGrace: number;
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
