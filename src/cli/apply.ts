// `drover apply -f`: manifests made true idempotently. Every file is read and every object tried:
// one bad file or one refused object is reported (with the file it came from) and the rest still
// go ahead; the command exits 1 at the end if anything failed.
import type { Command } from 'commander';
import { ConnectionError } from '../client/index.js';
import { applyObject } from './apply-object.js';
import { clientFor } from './config.js';
import { printError } from './error-text.js';
import { examples } from './help.js';
import { isProblem, readManifests } from './manifests.js';
import { colourState } from './output.js';

export function registerApplyCommand(program: Command): void {
  program
    .command('apply')
    .description('create or update objects from manifests (YAML or JSON, several documents per file); prints created, configured or unchanged')
    .requiredOption('-f, --filename <path...>', 'file, directory of .yaml/.yml/.json files, or - for stdin (several allowed)')
    .option('-o, --output <format>', 'name: print only kind/name')
    .option('--force', 'a finished task (Succeeded, Failed, Lost) whose spec changed is deleted and created again, so it runs again')
    .addHelpText(
      'after',
      examples(`
        drover apply -f web.yaml                 # service/web created (again: unchanged)
        drover apply -f manifests/               # every .yaml, .yml and .json file in the directory
        drover apply -f a.yaml -f b.json         # several files; each failure is reported, the rest applied
        cat web.yaml | drover apply -f -         # from stdin
        drover apply -f job.yaml --force         # run a finished task again with its new spec`),
    )
    .action(async (opts: { filename: string[]; output?: string; force?: boolean }, cmd: Command) => {
      const { manifests, problems, inOrder } = readManifests(opts.filename);
      if (inOrder.length === 0) throw new Error(`no objects found in ${opts.filename.join(', ')}`);
      const client = clientFor(cmd);
      let failed = problems.length;
      for (const m of inOrder) {
        if (isProblem(m)) {
          printError(m.message, m.source);
          continue;
        }
        const ref = `${m.kind.singular}/${m.object.metadata.name}`;
        try {
          const { outcome } = await applyObject(client, m.kind, m.object, { replaceFinished: opts.force });
          console.log(opts.output === 'name' ? ref : `${ref} ${colourState(outcome)}`);
        } catch (err) {
          // A server that cannot be reached fails every object alike: say it once.
          if (err instanceof ConnectionError) throw err;
          printError(err, `${m.source}: ${ref}`);
          failed++;
        }
      }
      if (failed > 0) {
        const total = manifests.length + problems.length;
        if (total > 1) process.stderr.write(`error: ${failed === total ? `all ${total}` : `${failed} of ${total}`} manifests failed${failed < total ? '; the others were applied' : ''}\n`);
        process.exitCode = 1;
      }
    });
}
