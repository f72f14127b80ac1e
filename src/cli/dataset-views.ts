// How datasets and leases read on a terminal: their table columns (get), a move's progress
// ("42% 12.3/29.1 MiB"), and the dataset part of describe (its move, its lease, the tasks
// mounting it).
import type { Client, Dataset, Lease, Task } from '../client/client.js';
import { leaseHolds, type AnyObject, type DatasetMove } from '../model/index.js';
import { bytesText, shortId, type Columns } from './kinds.js';
import { age } from './output.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** The largest binary unit `n` reaches, and a formatter of amounts in it. */
function unitOf(n: number): { unit: string; f: (v: number) => string } {
  let i = 0;
  while (i < UNITS.length - 1 && n >= 1024 ** (i + 1)) i++;
  return { unit: UNITS[i]!, f: (v) => (i === 0 ? String(Math.round(v)) : (v / 1024 ** i).toFixed(1)) };
}

/** Both amounts in the unit of `total`: "12.3/29.1 MiB". */
export function bytesOf(done: number, total: number): string {
  const { unit, f } = unitOf(total);
  return `${f(done)}/${f(total)} ${unit}`;
}

/** "3.1 MiB/s". */
export function rateText(bytesPerSecond: number): string {
  const { unit, f } = unitOf(bytesPerSecond);
  return `${f(bytesPerSecond)} ${unit}/s`;
}

export function percentOf(move: DatasetMove): number {
  return move.bytesTotal > 0 ? Math.floor((move.bytesDone / move.bytesTotal) * 100) : 0;
}

/** A move as a table cell: "42% 12.3/29.1 MiB", "waiting" (for tasks on the old machine to stop), or "-". */
export function moveText(move: DatasetMove | null | undefined): string {
  if (!move) return '-';
  if (move.phase === 'Waiting') return 'waiting';
  const text = `${percentOf(move)}% ${bytesOf(move.bytesDone, move.bytesTotal)}`;
  return move.phase === 'Verifying' ? `${text} verifying` : text;
}

export function datasetPhase(ds: Dataset): string {
  if (ds.spec.deleted) return 'Deleted';
  return ds.status?.phase ?? 'Pending';
}

export const datasetColumns = (wide: boolean): Columns => ({
  header: ['NAME', 'ID', 'PRIMARY', 'HELD-BY', 'PHASE', 'SIZE', 'MOVE', 'AGE', ...(wide ? ['BACKEND', 'MAX-SIZE', 'PATH'] : [])],
  colour: 4,
  row: (o, ctx) => {
    const ds = o as Dataset;
    const machine = (m: string | undefined) => (m ? (wide ? m : shortId(m)) : '<none>');
    return [
      ds.metadata.name,
      ds.spec.id?.slice(0, 8) ?? '<none>',
      machine(ds.spec.primary),
      machine(ds.status?.machine),
      datasetPhase(ds),
      bytesText(ds.status?.size),
      moveText(ds.status?.move),
      age(ds.metadata.createdAt, ctx.now),
      ...(wide ? [ds.spec.backend ?? 'directory', bytesText(ds.spec.maximumSize), ds.status?.path ?? '-'] : []),
    ];
  },
});

export const leaseColumns: Columns = {
  header: ['NAME', 'DATASET', 'MACHINE', 'EXPIRES', 'AGE'],
  colour: -1,
  row: (o, ctx) => {
    const l = o as Lease;
    return [l.metadata.name, l.spec.dataset, shortId(l.spec.machine), expiresText(l, ctx.now), age(l.metadata.createdAt, ctx.now)];
  },
};

function expiresText(l: Lease, now: number): string {
  const at = l.spec.expiresAt;
  if (at === undefined || at === null) return 'never';
  // age() reads a time in the past: the same distance before now reads as the time left.
  return leaseHolds(l, now) ? `in ${age(new Date(2 * now - Date.parse(at)).toISOString(), now)}` : 'lapsed';
}

/** The dataset lines of describe, then (after the generic spec and status) what mounts it. */
export function datasetFields(ds: Dataset, field: (label: string, value: unknown) => void): void {
  field('ID', ds.spec.id);
  field('Phase', datasetPhase(ds));
  field('Backend', ds.spec.backend ?? 'directory');
  field('Maximum size', ds.spec.maximumSize === undefined ? 'unbounded' : bytesText(ds.spec.maximumSize));
  field('Primary', ds.spec.primary ?? '<none> (not placed yet)');
  field('Held by', ds.status?.machine ?? '<none> (no copy yet)');
  if (ds.status?.path) field('Path', ds.status.path);
  if (ds.status?.size !== undefined) field('Size', bytesText(ds.status.size));
  const move = ds.status?.move;
  if (move) {
    const attempts = move.attempts && move.attempts > 1 ? `, attempt ${move.attempts}` : '';
    const what = move.phase === 'Waiting' ? `Waiting for the tasks using it on ${move.from} to stop` : `${move.phase} ${moveText(move).replace(/ verifying$/, '')}`;
    field('Move', `${move.from} → ${move.to}: ${what} (since ${age(move.startedAt)} ago${attempts})${move.message ? ` — ${move.message}` : ''}`);
  }
  if (ds.status?.reason || ds.status?.message) field('Message', `${ds.status.reason ? `${ds.status.reason}: ` : ''}${ds.status.message ?? ''}`);
}

export async function datasetLease(client: Client, ds: Dataset): Promise<string> {
  const lease = await client.leases.in(ds.metadata.namespace).find(ds.metadata.name);
  if (!lease) return '<none>';
  const at = lease.spec.expiresAt;
  const until = at === undefined || at === null ? 'until released' : leaseHolds(lease, Date.now()) ? `until ${at}` : `lapsed at ${at}`;
  return `pinned to ${lease.spec.machine} ${until}`;
}

/** The tasks of the dataset's namespace that mount it. */
export async function tasksMounting(client: Client, ds: AnyObject): Promise<Task[]> {
  const all = (await client.tasks.in(ds.metadata.namespace).listAll()).items;
  return all.filter((t) => t.spec.template.volumes?.some((v) => v.dataset === ds.metadata.name));
}
