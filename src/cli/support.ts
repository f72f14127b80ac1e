// `drover support bundle > FILE`: the server's support bundle (a tar.gz of versions, settings,
// machines, events, logs, metrics and store statistics, with secrets left out) for a bug report.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { errorFromResponse } from '../client/errors.js';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { UsageError } from './output.js';

export function registerSupportCommands(program: Command): void {
  program
    .command('support')
    .description('help with a problem: what to attach to a bug report')
    .addHelpText(
      'after',
      examples(`
        drover support bundle > bundle.tar.gz`),
    )
    .command('bundle')
    .description('download a support bundle (tar.gz): versions, settings, machines, events, logs, metrics; no secrets')
    .option('-o, --output <file>', 'write it to this file instead of standard output')
    .addHelpText(
      'after',
      examples(`
        drover support bundle > bundle.tar.gz
        drover support bundle -o bundle.tar.gz && tar tzf bundle.tar.gz`),
    )
    .action(async (opts: { output?: string }, cmd: Command) => {
      if (!opts.output && process.stdout.isTTY) throw new UsageError('the bundle is a tar.gz: redirect it to a file (drover support bundle > bundle.tar.gz) or use -o FILE');
      const res = await clientFor(cmd).fetch('GET', '/api/v1/system/bundle', { stream: true });
      if (!res.ok) throw errorFromResponse(res.status, await res.text());
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), opts.output ? createWriteStream(opts.output) : process.stdout);
      if (opts.output) console.error(`support bundle written to ${opts.output}`);
    });
}
