// `drover version`: the client's version and, when it answers, the server's.
import type { Command } from 'commander';
import { version } from '../version.js';
import { clientFor, resolveServer } from './config.js';
import { examples } from './help.js';

export function registerVersionCommand(program: Command): void {
  program
    .command('version')
    .description('print the client version and, if reachable, the server\'s')
    .option('--client', 'only the client version (no request)')
    .option('-o, --output <format>', 'json for machine-readable output')
    .addHelpText(
      'after',
      examples(`
        drover version                 # client and server versions
        drover version --client        # without asking the server
        drover version -o json`),
    )
    .action(async (opts: { client?: boolean; output?: string }, cmd: Command) => {
      const client = { version, node: process.version };
      let server: { version: string; node: string; store: string } | undefined;
      let serverError: string | undefined;
      if (!opts.client) {
        try {
          server = await clientFor(cmd).version();
        } catch (err) {
          serverError = (err as Error).message;
        }
      }
      if (opts.output === 'json') {
        console.log(JSON.stringify({ client, ...(server ? { server } : {}), ...(serverError ? { serverError } : {}) }, null, 2));
      } else {
        console.log(`Client: drover ${version} (node ${process.version})`);
        if (server) console.log(`Server: drover ${server.version} (node ${server.node}, store ${server.store}) at ${resolveServer(cmd.optsWithGlobals()).server}`);
      }
      if (serverError) {
        process.stderr.write(`error: ${serverError}\n`);
        process.exitCode = 1;
      }
    });
}
