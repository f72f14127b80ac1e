// `drover machines`, `drover label`, `drover cordon|uncordon|drain`: the fleet of machines.
// Drain is done by the CLI (not yet a server-side Operation): cordon, then delete the machine's
// service-owned tasks so their services place replacements elsewhere, and wait for them to go.
import type { Command } from 'commander';
import type { Client } from '../client/client.js';
import { clientFor } from './config.js';
import { printObjects } from './get.js';
import { isLiveTask, parseRef, resourceOf } from './kinds.js';
import { resolveMachineName } from './machine-names.js';
import { parseDuration, parseFormat, ProgressLine, sleep, UsageError } from './output.js';

const MACHINE_KIND = { kind: 'Machine', plural: 'machines', singular: 'machine' };

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
    .action(async (arg: string, _opts: unknown, cmd: Command) => void (await setUnschedulable(clientFor(cmd), stripKind(arg), true)));

  program
    .command('uncordon')
    .description('mark a machine schedulable again')
    .argument('<machine>', 'machine ID (or unique prefix, or hostname)')
    .action(async (arg: string, _opts: unknown, cmd: Command) => void (await setUnschedulable(clientFor(cmd), stripKind(arg), false)));

  program
    .command('drain')
    .description('cordon a machine, then move its service tasks elsewhere (one-off tasks stay unless --force)')
    .argument('<machine>', 'machine ID (or unique prefix, or hostname)')
    .option('--force', 'also delete one-off tasks (they are not replaced)')
    .option('--timeout <duration>', 'how long to wait for the tasks to leave', '2m')
    .action(async (arg: string, opts: { force?: boolean; timeout: string }, cmd: Command) => {
      const client = clientFor(cmd);
      const timeoutMs = parseDuration(opts.timeout, '--timeout');
      const name = await setUnschedulable(client, stripKind(arg), true);
      const onMachine = async () => (await client.tasks.listAll({ fieldSelector: `spec.machine=${name}` })).items.filter(isLiveTask);
      const tasks = await onMachine();
      const owned = tasks.filter((t) => t.metadata.ownerReferences?.length);
      const oneOff = tasks.filter((t) => !t.metadata.ownerReferences?.length);
      if (oneOff.length && !opts.force) {
        console.error(`warning: leaving ${oneOff.length} one-off task${oneOff.length === 1 ? '' : 's'} (${oneOff.map((t) => t.metadata.name).join(', ')}); use --force to delete them`);
      }
      const evict = opts.force ? tasks : owned;
      for (const t of evict) {
        await client.tasks.delete(t.metadata.name).catch((err: { code?: number }) => {
          if (err.code !== 404) throw err;
        });
        console.log(`evicting task/${t.metadata.name}`);
      }
      const names = new Set(evict.map((t) => t.metadata.name));
      const progress = new ProgressLine();
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const left = (await client.tasks.listAll({ fieldSelector: `spec.machine=${name}` })).items.filter((t) => names.has(t.metadata.name));
        if (left.length === 0) break;
        if (Date.now() > deadline) {
          progress.done();
          throw new Error(`timed out after ${opts.timeout}: ${left.length} task${left.length === 1 ? '' : 's'} still stopping on ${name} (${left.map((t) => t.metadata.name).join(', ')})`);
        }
        progress.update(`drain ${name}: ${names.size - left.length}/${names.size} tasks gone`);
        await sleep(200);
      }
      progress.done(`drain ${name}: ${names.size}/${names.size} tasks gone`);
      console.log(`machine/${name} drained`);
    });
}

function stripKind(arg: string): string {
  if (!arg.includes('/')) return arg;
  const ref = parseRef(arg);
  if (ref.kind.plural !== 'machines') throw new UsageError(`expected a machine, got ${ref.kind.singular}/${ref.name}`);
  return ref.name;
}
