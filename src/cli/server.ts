// `drover server` and `drover dev`: run the control plane in the foreground until SIGINT/SIGTERM.
import { InvalidArgumentError, type Command } from 'commander';
import { startDev } from '../dev.js';
import { startServer } from '../server.js';

export function registerServerCommands(program: Command): void {
  program
    .command('server')
    .description('run the drover API server (SQLite in --data)')
    .option('--listen <host:port>', 'address to serve the API on', '127.0.0.1:8080')
    .option('--data <dir>', 'directory for the store and local state', './drover-data')
    .option('--history <revisions>', 'store revisions kept for watches and paged lists', toInt, 10_000)
    .option('--machine-grace <seconds>', 'seconds without heartbeats before a machine is NotReady and its tasks are replaced', toInt, 15)
    .option('--log-level <level>', 'fatal, error, warn, info, debug', 'info')
    .action(async (opts: { listen: string; data: string; history: number; machineGrace: number; logLevel: string }) => {
      const server = await startServer({
        listen: opts.listen,
        dataDir: opts.data,
        historyRevisions: opts.history,
        machineGraceSeconds: opts.machineGrace,
        logLevel: opts.logLevel,
      });
      console.error(`drover server listening on ${server.url} (data in ${opts.data})`);
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
    .action(async (opts: { agents: number; listen: string; data: string; machineGrace: number; logLevel: string }) => {
      const dev = await startDev({ agents: opts.agents, listen: opts.listen, dataDir: opts.data, machineGraceSeconds: opts.machineGrace, logLevel: opts.logLevel });
      console.log(`drover dev: API at ${dev.url}/api/v1 with ${opts.agents} agent${opts.agents === 1 ? '' : 's'} (data in ${opts.data})`);
      console.log(`  try: curl ${dev.url}/api/v1/machines`);
      console.log(`       curl -X POST ${dev.url}/api/v1/tasks -H 'content-type: application/json' -d '{"spec":{"template":{"command":["echo","hello"]}}}'`);
      await untilSignal(dev);
    });
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
