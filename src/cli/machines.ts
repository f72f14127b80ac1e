// `drover machines`, `drover label`, `drover cordon|uncordon|drain`: the fleet of machines.
// Drain is done by the CLI (not yet a server-side Operation): cordon, then delete the machine's
// service-owned tasks so their services place replacements elsewhere, and wait for them to go.
import type { Command } from 'commander';
import type { Client } from '../client/client.js';
import { clientFor } from './config.js';
import { printObjects } from './get.js';
import { parseRef, resourceOf } from './kinds.js';
import { resolveMachineName } from './machine-names.js';
import { parseDuration, parseFormat, ProgressLine, sleep, UsageError } from './output.js';
import { examples } from './help.js';

const MACHINE_KIND = { kind: 'Machine', plural: 'machines', singular: 'machine', namespaced: false };

/** "k=v" sets, "k-" removes (kubectl label). */
export function parseLabelChanges(args: string[]): Record<string, string | null> {
  const changes: Record<string, string | null> = {};
  for (const a of args) {
    if (a.endsWith('-') && !a.includes('=')) changes[a.slice(0, -1)] = null;
    else {
      const eq = a.indexOf('=');
      if (eq <= 0) throw new UsageError(`expected key=value or key-, got "${a}"`);
      changes[a.slice(0, eq)] = a.slice(eq + 1);
    }
  }
  return changes;
}

async function setUnschedulable(client: Client, arg: string, unschedulable: boolean): Promise<string> {
  const name = await resolveMachineName(client, arg);
  const m = await client.machines.get(name);
  if (!!m.spec?.unschedulable === unschedulable) {
    console.log(`machine/${name} already ${unschedulable ? 'cordoned' : 'uncordoned'}`);
    return name;
  }
  await client.machines.patch(name, { spec: { unschedulable: unschedulable ? true : null } });
  console.log(`machine/${name} ${unschedulable ? 'cordoned' : 'uncordoned'}`);
  return name;
}

export function registerMachineCommands(program: Command): void {
  program
    .command('machines')
    .alias('list-machines')
    .description('list machines (same as get machines)')
    .option('-l, --selector <selector>', 'label selector')
    .option('-o, --output <format>', 'table, wide, json, yaml or name', 'table')
    .addHelpText(
      'after',
      examples(`
        drover machines                         # NAME  STATUS  ADDRESS  CPU  MEMORY  TASKS  LABELS  AGE
        drover machines -l region=eu -o wide`),
    )
    .action(async (opts: { selector?: string; output: string }, cmd: Command) => {
      const format = parseFormat(opts.output);
      const client = clientFor(cmd);
      const items = (await client.machines.listAll({ labelSelector: opts.selector })).items;
      if (items.length === 0 && (format === 'table' || format === 'wide')) return void console.error('no machines found');
      await printObjects(client, MACHINE_KIND, items, format, true);
    });

  program
    .command('label')
    .description('set (key=value) or remove (key-) labels: drover label machine/ID region=eu rack-')
    .argument('<target>', 'KIND/NAME, e.g. machine/1a2b3c4d or service/web')
    .argument('<changes...>', 'key=value to set, key- to remove')
    .option('--overwrite', 'allow changing a label that already has a different value')
    .addHelpText(
      'after',
      examples(`
        drover label machine/1a2b3c4d region=eu rack=r1
        drover label machine/1a2b3c4d rack-                  # remove a label
        drover label service/web tier=front --overwrite`),
    )
    .action(async (target: string, changes: string[], opts: { overwrite?: boolean }, cmd: Command) => {
      const ref = parseRef(target);
      const patch = parseLabelChanges(changes);
      const client = clientFor(cmd);
      const name = ref.kind.plural === 'machines' ? await resolveMachineName(client, ref.name) : ref.name;
      const res = resourceOf(client, ref.kind);
      const current = await res.get(name);
      if (!opts.overwrite) {
        for (const [k, v] of Object.entries(patch)) {
          const old = current.metadata.labels?.[k];
          if (v !== null && old !== undefined && old !== v) throw new Error(`${ref.kind.singular}/${name} already has ${k}=${old}; use --overwrite to change it`);
        }
      }
      await res.patch(name, { metadata: { labels: patch } }, { ifMatch: current.metadata.revision });
      console.log(`${ref.kind.singular}/${name} labeled`);
    });

  program
    .command('cordon')
    .description('mark a machine unschedulable: no new tasks are placed there')
    .argument('<machine>', 'machine ID (or unique prefix, or hostname)')
    .addHelpText(
      'after',
      examples(`
        drover cordon 1a2b3c4d                 # no new tasks there; drover uncordon undoes it`),
    )
    .action(async (arg: string, _opts: unknown, cmd: Command) => void (await setUnschedulable(clientFor(cmd), stripKind(arg), true)));

  program
    .command('uncordon')
    .description('mark a machine schedulable again')
    .argument('<machine>', 'machine ID (or unique prefix, or hostname)')
    .addHelpText(
      'after',
      examples(`
        drover uncordon 1a2b3c4d`),
    )
    .action(async (arg: string, _opts: unknown, cmd: Command) => void (await setUnschedulable(clientFor(cmd), stripKind(arg), false)));

  program
    .command('drain')
    .description('cordon a machine, then move its service tasks elsewhere (one-off tasks stay unless --force)')
    .argument('<machine>', 'machine ID (or unique prefix, or hostname)')
    .option('--force', 'also delete one-off tasks (they are not replaced)')
    .option('--timeout <duration>', 'how long to wait for the tasks to leave', '2m')
    .addHelpText(
      'after',
      examples(`
        drover drain 1a2b3c4d                   # cordon, then move its service tasks elsewhere
        drover drain 1a2b3c4d --force --timeout 5m   # one-off tasks too (they are not replaced)`),
    )
    .action(async (arg: string, opts: { force?: boolean; timeout: string }, cmd: Command) => {
      const client = clientFor(cmd);
      const timeoutMs = parseDuration(opts.timeout, '--timeout');
      const name = await resolveMachineName(client, stripKind(arg));
      // The work happens on the server as a Drain operation; this shows its progress.
      let op = await client.operations.create({
        spec: { type: 'Drain', target: { kind: 'Machine', name }, params: { force: !!opts.force, timeoutSeconds: Math.ceil(timeoutMs / 1000) } },
      });
      console.log(`machine/${name} cordoned`);
      const progress = new ProgressLine();
      const deadline = Date.now() + timeoutMs + 5_000;
      let shown = '';
      while (op.status?.phase !== 'Succeeded' && op.status?.phase !== 'Failed') {
        if (Date.now() > deadline) {
          progress.done();
          throw new Error(`timed out after ${opts.timeout} waiting for operation/${op.metadata.name}`);
        }
        const message = op.status?.progress?.message;
        if (message && message !== shown) progress.update(`drain ${name} (operation/${op.metadata.name}): ${(shown = message)}`);
        op = (await client.request<typeof op>('GET', `/api/v1/operations/${encodeURIComponent(op.metadata.name)}`, { query: { wait: '1s' } })).body;
        await sleep(50);
      }
      progress.done();
      if (op.status.phase === 'Failed') throw new Error(`drain of ${name} failed: ${op.status.error ?? 'unknown error'}`);
      const result = (op.status.result ?? {}) as { evicted?: string[]; kept?: string[] };
      for (const t of result.evicted ?? []) console.log(`evicting task/${t}`);
      if (result.kept?.length) {
        console.error(`warning: left ${result.kept.length} one-off task${result.kept.length === 1 ? '' : 's'} (${result.kept.join(', ')}); use --force to delete them`);
      }
      console.log(`machine/${name} drained`);
    });
}

function stripKind(arg: string): string {
  if (!arg.includes('/')) return arg;
  const ref = parseRef(arg);
  if (ref.kind.plural !== 'machines') throw new UsageError(`expected a machine, got ${ref.kind.singular}/${ref.name}`);
  return ref.name;
}
