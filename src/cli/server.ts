// `drover server` and `drover dev`: run the control plane in the foreground until SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { startDev } from '../dev.js';
import { parseEtcdUrl, startServer } from '../server.js';
import { UsageError } from './output.js';
import { examples } from './help.js';

export function registerServerCommands(program: Command): void {
  program
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
    .option('--leader-ttl <seconds>', 'lease TTL of the controller leader on etcd', toInt, 5)
    .option('--fleet-socket <path>', 'also serve the API (fleet\'s /fleet/v1 included) on this unix socket, as fleetd does at /var/run/fleet.sock')
    .option('--etcd-compaction-interval <seconds>', 'how often the leader compacts etcd history to --history revisions', toInt, 300)
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
        ...storeOptions(opts),
      });
      console.error(`drover server listening on ${server.url}${opts.fleetSocket ? ` and ${opts.fleetSocket}` : ''} (${opts.store === 'sqlite' ? `data in ${opts.data}` : `state in ${opts.store} under ${opts.etcdPrefix}`})`);
      await untilSignal(server);
    });

  program
    .command('dev')
    .description('run a server on SQLite plus local agents, for development: the quickest way to try drover')
    .option('--agents <n>', 'number of local agents', toInt, 3)
    .option('--listen <host:port>', 'address to serve the API on', '127.0.0.1:8080')
    .option('--data <dir>', 'directory for the store and the agents\' files', './drover-data')
    .option('--machine-grace <seconds>', 'seconds without heartbeats before a machine is NotReady', toInt, 15)
    .option('--log-level <level>', 'fatal, error, warn, info, debug', 'warn')
    .addHelpText(
      'after',
      examples(`
        drover dev                              # server + 3 agents at http://127.0.0.1:8080
        drover dev --agents 1 --listen 127.0.0.1:9090 --data /tmp/drover`),
    )
    .action(async (opts: { agents: number; listen: string; data: string; machineGrace: number; logLevel: string }) => {
      const dev = await startDev({ agents: opts.agents, listen: opts.listen, dataDir: opts.data, machineGraceSeconds: opts.machineGrace, logLevel: opts.logLevel });
      // The CLI finds this server without flags: the "dev" context becomes current.
      (await import('./config.js')).writeDevContext(dev.url);
      console.log(`drover dev: API at ${dev.url}/api/v1 with ${opts.agents} agent${opts.agents === 1 ? '' : 's'} (data in ${opts.data})`);
      console.log(`  try: curl ${dev.url}/api/v1/machines`);
      console.log(`       curl -X POST ${dev.url}/api/v1/tasks -H 'content-type: application/json' -d '{"spec":{"template":{"command":["echo","hello"]}}}'`);
      await untilSignal(dev);
    });
}

interface ServerCommandOptions {
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
  leaderTtl: number;
  fleetSocket?: string;
  etcdCompactionInterval: number;
}

function storeOptions(opts: ServerCommandOptions): { etcd?: { endpoints: string[]; tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer } }; prefix?: string; leaderTtlSeconds?: number } {
  if (opts.store === 'sqlite') return {};
  if (!opts.store.startsWith('etcd://')) throw new UsageError(`--store must be sqlite or etcd://host:port[,host:port…], got "${opts.store}"`);
  if (!opts.etcdPrefix.startsWith('/')) throw new UsageError(`--etcd-prefix must start with "/", got "${opts.etcdPrefix}"`);
  if (Boolean(opts.etcdCert) !== Boolean(opts.etcdKey)) throw new UsageError('--etcd-cert and --etcd-key go together: give both or neither');
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
  return { etcd: { endpoints: parseEtcdUrl(opts.store, isTls), ...(tls ? { tls } : {}) }, prefix: opts.etcdPrefix, leaderTtlSeconds: opts.leaderTtl };
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
