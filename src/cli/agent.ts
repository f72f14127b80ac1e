// `drover agent`: run the node agent in the foreground.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { hollowLabels, startHollowAgents } from '../agent/hollow.js';
import { startAgent } from '../agent/run.js';
import { parseServerUrls } from '../client/server-urls.js';
import { parseBytes, parseCpuMilli } from '../scheduler/index.js';
import { examples } from './help.js';

function serverUrlsOption(v: string): string[] {
  try {
    return parseServerUrls(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function parseLabels(v: string, prev: Record<string, string> = {}): Record<string, string> {
  const out = { ...prev };
  for (const pair of v.split(',')) {
    if (!pair.trim()) continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`labels are key=value pairs separated by commas, got "${pair}"`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/** A positive number of seconds, fractions allowed (tests use short intervals). */
function secondsOption(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} takes seconds greater than 0, e.g. 10 or 0.5; got "${v}"`);
    return n;
  };
}

function readCaFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`--ca-file: cannot read "${file}": ${(err as Error).message}`);
  }
}

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('run the node agent: register this machine, heartbeat, and run the tasks bound to it')
    .requiredOption('--server <urls>', 'drover server URL(s), comma-separated', serverUrlsOption)
    .option('--data <dir>', 'directory for task files, logs and the machine id', './drover-agent')
    .option('--id <machine-id>', '32-hex machine id (default: kept in --data, else /etc/machine-id)')
    .option('--hostname <name>', 'hostname to publish')
    .option('--labels <k=v,...>', 'labels merged into the machine at registration', parseLabels)
    .option('--cpu <cores>', 'cpu to offer (e.g. 4, 3500m)', (v) => {
      try {
        parseCpuMilli(v);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
      return v;
    })
    .option('--memory <bytes>', 'memory to offer (e.g. 8Gi)', (v) => {
      try {
        return parseBytes(v);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
    })
    .option('--listen <host:port>', 'address of the agent API the server uses for logs and exec', '127.0.0.1:0')
    .option('--advertise <url>', 'https URL the server should use to reach the agent API (its certificate covers the host named here)')
    .option('--ingress-address <address>', "interface the services' ingress ports listen on (default all)")
    .option('--no-ingress', "serve no services' ingress ports on this machine")
    .option('--log-level <level>', 'fatal, error, warn, info, debug', 'info')
    .option('--join-token <token>', 'join token from drover token create --agent, exchanged for this machine\'s own certificate on first start (default: $DROVER_JOIN_TOKEN)')
    .option('--ca-file <file>', 'cluster CA certificate (the server\'s pki/ca.crt), to trust an https server before joining')
    .option('--accept-new-cluster', 'take the server\'s cluster as this machine\'s, even if it remembers another (after moving it to a new cluster on purpose); without it, an agent that finds its server on another or an older store stops nothing and waits')
    .option('--stop-tasks-on-exit', 'stop this machine\'s tasks when the agent stops (a machine that lives only as long as its agent: the server\'s local Replicante nodes); without it, tasks keep running across agent restarts')
    .option('--usage-interval <seconds>', "how often tasks' and the machine's CPU and memory are measured and, when they changed, reported", secondsOption('--usage-interval'), 10)
    .option('--memory-check-interval <seconds>', 'how often tasks with a memory limit are checked against it: a task may pass its limit for this long before it is killed', secondsOption('--memory-check-interval'), 5)
    .option('--hollow <n>', 'SIMULATION for benchmarks: run N hollow machines that report tasks as running without starting any process', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--hollow takes a machine count ≥ 1, got "${v}"`);
      return n;
    })
    .addHelpText(
      'after',
      examples(`
        drover agent --server https://10.0.0.5:8080 --data /var/lib/drover-agent --join-token drover.… --ca-file ca.crt
        drover agent --server http://a:8080,http://b:8080 --labels region=eu,disk=ssd --cpu 4 --memory 8Gi
        drover agent --server http://new-server:8080 --data /var/lib/drover-agent --accept-new-cluster   # moved on purpose`),
    )
    .action(async (opts) => {
      if (opts.hollow) {
        const hollow = await startHollowAgents({ server: opts.server, count: opts.hollow, labels: (i) => ({ ...hollowLabels(i), ...opts.labels }), cpu: opts.cpu, memory: opts.memory, logLevel: opts.logLevel });
        console.error(`drover agent: SIMULATION of ${opts.hollow} hollow machines (no processes are started), connected to ${[opts.server].flat().join(', ')}`);
        await new Promise<void>((resolve) => {
          const stop = () => void hollow.close().then(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        return;
      }
      const running = await startAgent({
        server: opts.server,
        dataDir: opts.data,
        id: opts.id,
        hostname: opts.hostname,
        labels: opts.labels,
        cpu: opts.cpu,
        memory: opts.memory,
        listen: opts.listen,
        advertise: opts.advertise,
        logLevel: opts.logLevel,
        acceptNewCluster: opts.acceptNewCluster,
        usageIntervalMs: opts.usageInterval * 1000,
        memoryCheckMs: opts.memoryCheckInterval * 1000,
        ...(opts.ingress === false ? {} : { ingress: { address: opts.ingressAddress } }),
        joinToken: opts.joinToken ?? process.env.DROVER_JOIN_TOKEN,
        ...(opts.caFile ? { ca: readCaFile(opts.caFile) } : {}),
      });
      console.error(`drover agent ${running.id} serving ${running.endpoint}, connected to ${[opts.server].flat().join(', ')}`);
      await new Promise<void>((resolve) => {
        const stop = () => void running.close(opts.stopTasksOnExit === true).then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
