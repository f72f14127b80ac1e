// `drover scale service/NAME --replicas N` (or `scale svc NAME`): kubectl's verb for a service's
// replica count. --current-replicas is a JSON patch "test": checked and changed in one write.
import { InvalidArgumentError, type Command } from 'commander';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { parseRef, resolveKind } from './kinds.js';
import { UsageError } from './output.js';

function replicasOption(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`--replicas takes a whole number ≥ 0, got "${v}"`);
  return Number(v);
}

export function registerScaleCommand(program: Command): void {
  program
    .command('scale')
    .description('set the number of tasks a service runs')
    .argument('<target>', 'service/NAME, or the kind (service, svc) followed by NAME')
    .argument('[name]', 'the service\'s name, after a kind')
    .requiredOption('--replicas <n>', 'the number of tasks to run', replicasOption)
    .option('--current-replicas <n>', 'only if the service now has this many replicas (a safety check)', replicasOption)
    .addHelpText(
      'after',
      examples(`
        drover scale service/web --replicas 5
        drover scale svc web --replicas 0                         # stop every task, keep the service
        drover scale service/web --current-replicas 5 --replicas 3`),
    )
    .action(async (target: string, nameArg: string | undefined, opts: { replicas: number; currentReplicas?: number }, cmd: Command) => {
      const ref = target.includes('/') ? parseRef(target) : { kind: resolveKind(target), name: nameArg };
      if (target.includes('/') && nameArg !== undefined) throw new UsageError(`give service/NAME or a kind and NAME, not both ("${target}" and "${nameArg}")`);
      if (ref.kind.plural !== 'services') throw new UsageError(`scale works on services, not ${ref.kind.plural}`);
      if (!ref.name) throw new UsageError('scale needs a service: drover scale service/NAME --replicas N');
      const client = clientFor(cmd);
      const svc = await client.services.get(ref.name);
      if (svc.spec.global) throw new Error(`service "${ref.name}" is global: it runs one task on every eligible machine, so it has no replica count to scale`);
      const current = svc.spec.replicas ?? 1;
      if (opts.currentReplicas !== undefined && opts.currentReplicas !== current) {
        throw new Error(`service "${ref.name}" has ${current} replicas, not ${opts.currentReplicas} (--current-replicas); nothing changed`);
      }
      if (opts.currentReplicas === undefined) await client.services.patch(ref.name, { spec: { replicas: opts.replicas } });
      else {
        const patch = [
          { op: 'test', path: '/spec/replicas', value: opts.currentReplicas },
          { op: 'replace', path: '/spec/replicas', value: opts.replicas },
        ];
        await client.services.patch(ref.name, patch, { type: 'json' }).catch((err: { code?: number }) => {
          throw err.code === 409 ? new Error(`service "${ref.name}" no longer has ${opts.currentReplicas} replicas (--current-replicas); nothing changed`) : err;
        });
      }
      console.log(`service/${ref.name} scaled`);
    });
}
