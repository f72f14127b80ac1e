// `drover dataset create|move|delete|lease|release`: datasets as an operator handles them.
// Listing and inspecting go through `get datasets` and `describe dataset`, like every kind.
import type { Command } from 'commander';
import type { Client, Dataset, Lease } from '../client/client.js';
import { DATASET_BACKENDS, leaseHolds, type DatasetSpec } from '../model/index.js';
import { parseBytes } from '../model/quantity.js';
import { clientFor } from './config.js';
import { moveDataset } from './dataset-move.js';
import { examples } from './help.js';
import { resolveMachineName } from './machine-names.js';
import { parseDuration, UsageError } from './output.js';

const collect = (v: string, all: string[]) => [...all, v];

/** "k=v" pairs → Flocker-style metadata; a key given twice is a mistake. */
export function metadataOf(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--meta takes KEY=VALUE, got "${p}"`);
    const key = p.slice(0, eq);
    if (Object.hasOwn(out, key)) throw new UsageError(`--meta key "${key}" is given twice`);
    out[key] = p.slice(eq + 1);
  }
  return out;
}

interface CreateOptions {
  size?: string;
  primary?: string;
  backend?: string;
  meta: string[];
}

export function registerDatasetCommands(program: Command): void {
  const dataset = program
    .command('dataset')
    .description('create, move, delete and lease datasets (data that lives on one machine and moves with its bytes)')
    .addHelpText(
      'after',
      examples(`
        drover dataset create db --size 1Gi        # the server picks a machine
        drover get datasets -w                     # NAME ID PRIMARY HELD-BY PHASE SIZE MOVE AGE
        drover dataset move db 1a2b3c4d --wait     # progress until the new machine holds it
        drover describe dataset db                 # its move, lease and the tasks mounting it`),
    );

  dataset
    .command('create')
    .description('create a dataset; without --primary the server places it on the machine holding the fewest')
    .argument('<name>', "the dataset's name")
    .option('--size <bytes>', 'maximum size, e.g. 1Gi (at least 64Mi; required for loopback)')
    .option('--primary <machine>', 'the machine to hold it (name or unique ID prefix)')
    .option('--backend <backend>', `${DATASET_BACKENDS.join(' or ')} (default directory)`)
    .option('--meta <key=value>', 'metadata (repeatable)', collect, [])
    .addHelpText(
      'after',
      examples(`
        drover dataset create data                              # directory backend, unbounded, machine chosen by the server
        drover dataset create db --size 1Gi --backend loopback  # an ext4 image of 1 GiB
        drover dataset create logs --primary 1a2b3c4d --meta team=web`),
    )
    .action(async (name: string, opts: CreateOptions, cmd: Command) => {
      const client = clientFor(cmd);
      const spec: DatasetSpec = { metadata: metadataOf(opts.meta) };
      if (opts.size !== undefined) spec.maximumSize = sizeOf(opts.size);
      if (opts.backend !== undefined) {
        if (!(DATASET_BACKENDS as readonly string[]).includes(opts.backend)) throw new UsageError(`--backend must be ${DATASET_BACKENDS.join(' or ')}, got "${opts.backend}"`);
        spec.backend = opts.backend as DatasetSpec['backend'];
      }
      if (opts.primary !== undefined) spec.primary = await resolveMachineName(client, opts.primary);
      const ds = await client.datasets.create({ metadata: { name }, spec });
      console.log(`dataset/${name} created (id ${ds.spec.id}${spec.primary ? `, on ${spec.primary}` : '; the server picks its machine'})`);
    });

  dataset
    .command('move')
    .description('move a dataset to another machine: its data follows, and the tasks services run on it are placed there')
    .argument('<name>', "the dataset's name")
    .argument('<machine>', 'the new primary (name or unique ID prefix)')
    .option('--wait', 'wait until the new machine holds the data, showing progress')
    .option('--timeout <duration>', 'with --wait: give up after this long (exit 1)', '10m')
    .addHelpText(
      'after',
      examples(`
        drover dataset move db 1a2b3c4d            # sets the primary and returns
        drover dataset move db 1a2b3c4d --wait     # 42% 12.3/29.1 MiB, 3.1 MiB/s`),
    )
    .action(async (name: string, machineArg: string, opts: { wait?: boolean; timeout: string }, cmd: Command) => {
      const timeoutMs = parseDuration(opts.timeout, '--timeout');
      const client = clientFor(cmd);
      await moveDataset(client, name, await resolveMachineName(client, machineArg), { wait: opts.wait === true, timeoutMs, timeoutText: opts.timeout });
    });

  dataset
    .command('delete')
    .description('delete a dataset: its data is removed; a tombstone stays so its id is never reused')
    .argument('<name>', "the dataset's name")
    .addHelpText(
      'after',
      examples(`
        drover dataset delete db        # the id stays taken: a new "db" gets a new id`),
    )
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const client = clientFor(cmd);
      const before = await client.datasets.get(name);
      if (before.spec.deleted) return console.log(`dataset/${name} was already deleted (a tombstone)`);
      await client.datasets.delete(name);
      console.log(`dataset/${name} deleted: its data is removed; the tombstone keeps id ${before.spec.id} from being reused`);
    });

  dataset
    .command('lease')
    .description('pin a dataset to the machine it is on: no move and no delete until the lease lapses or is released')
    .argument('<name>', "the dataset's name")
    .requiredOption('--machine <machine>', 'the machine it is on (name or unique ID prefix)')
    .option('--expires <duration>', 'lapse after this long, e.g. 60s (default: held until released)')
    .addHelpText(
      'after',
      examples(`
        drover dataset lease db --machine 1a2b3c4d               # until released
        drover dataset lease db --machine 1a2b3c4d --expires 60s`),
    )
    .action(async (name: string, opts: { machine: string; expires?: string }, cmd: Command) => {
      const expiresMs = opts.expires === undefined ? undefined : parseDuration(opts.expires, '--expires');
      const client = clientFor(cmd);
      const machine = await resolveMachineName(client, opts.machine);
      await lease(client, name, machine, expiresMs);
    });

  dataset
    .command('release')
    .description("release a dataset's lease: it may move and be deleted again")
    .argument('<name>', "the dataset's name")
    .addHelpText(
      'after',
      examples(`
        drover dataset release db`),
    )
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const client = clientFor(cmd);
      if (!(await client.leases.find(name))) throw new Error(`dataset "${name}" has no lease; nothing to release`);
      await client.leases.delete(name);
      console.log(`lease/${name} released: dataset ${name} may move again`);
    });
}

function sizeOf(v: string): number {
  try {
    return parseBytes(v, 'size');
  } catch (err) {
    throw new UsageError(`--size: ${(err as Error).message}`);
  }
}

/** A lease pins the data where it is: on its primary, and not over another machine's live lease. */
async function lease(client: Client, name: string, machine: string, expiresMs: number | undefined): Promise<void> {
  const ds: Dataset = await client.datasets.get(name);
  if (ds.spec.deleted) throw new Error(`dataset "${name}" is deleted; there is nothing to lease`);
  // Where it is: its primary, or the machine still holding it while it moves there.
  if (ds.spec.primary !== machine && ds.status?.machine !== machine) {
    const where = ds.status?.machine && ds.status.machine !== ds.spec.primary ? `${ds.status.machine} (moving to ${ds.spec.primary})` : (ds.spec.primary ?? 'no machine yet');
    throw new Error(`dataset "${name}" is on ${where}, not ${machine}: a lease pins it where it is`);
  }
  const current: Lease | undefined = await client.leases.find(name);
  if (current && current.spec.machine !== machine && leaseHolds(current, Date.now())) {
    throw new Error(`dataset "${name}" is leased to ${current.spec.machine}${current.spec.expiresAt ? ` until ${current.spec.expiresAt}` : ''}; release it first (drover dataset release ${name})`);
  }
  const expiresAt = expiresMs === undefined ? null : new Date(Date.now() + expiresMs).toISOString();
  await client.leases.replace({ metadata: { name }, spec: { dataset: name, machine, expiresAt } });
  console.log(`lease/${name}: dataset ${name} pinned to ${machine} ${expiresAt ? `until ${expiresAt}` : 'until released'}`);
}
