// `drover server` and `drover dev`: run the control plane in the foreground until SIGINT/SIGTERM.
import { InvalidArgumentError, type Command } from 'commander';
import { startServer, type RunningServer } from '../server.js';

export function registerServerCommands(program: Command): void {
  program
    .command('server')
    .description('run the drover API server (SQLite in --data)')
    .option('--listen <host:port>', 'address to serve the API on', '127.0.0.1:8080')
    .option('--data <dir>', 'directory for the store and local state', './drover-data')
    .option('--history <revisions>', 'store revisions kept for watches and paged lists', toInt, 10_000)
    .option('--log-level <level>', 'fatal, error, warn, info, debug', 'info')
    .action(async (opts: { listen: string; data: string; history: number; logLevel: string }) => {
      const server = await startServer({ listen: opts.listen, dataDir: opts.data, historyRevisions: opts.history, logLevel: opts.logLevel });
      console.error(`drover server listening on ${server.url} (data in ${opts.data})`);
      await untilSignal(server);
    });

  program
    .command('dev')
    .description('run a server on SQLite for local development')
    .option('--listen <host:port>', 'address to serve the API on', '127.0.0.1:8080')
    .option('--data <dir>', 'directory for the store and local state', './drover-data')
    .option('--log-level <level>', 'fatal, error, warn, info, debug', 'warn')
    .action(async (opts: { listen: string; data: string; logLevel: string }) => {
      const server = await startServer({ listen: opts.listen, dataDir: opts.data, logLevel: opts.logLevel });
      console.log(`drover dev: API at ${server.url}/api/v1 (data in ${opts.data})`);
      console.log(`  try: curl ${server.url}/api/v1   ·   curl ${server.url}/api/v1/machines?watch=true`);
      await untilSignal(server);
    });
}

function toInt(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected a whole number, got "${v}"`);
  return Number(v);
}

function untilSignal(server: RunningServer): Promise<void> {
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
