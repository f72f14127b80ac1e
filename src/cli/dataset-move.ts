// `drover dataset move NAME MACHINE [--wait]`: sets the primary, then (with --wait) follows the
// dataset's status until the new machine holds the live copy. On a terminal one line rewrites
// itself (bytes moved of total, rate); elsewhere a plain line per phase and per tenth of the
// bytes, so a CI log stays short.
import type { Client, Dataset } from '../client/client.js';
import { leaseHolds } from '../model/index.js';
import { moveText, percentOf, rateText } from './dataset-views.js';
import { bytesText } from './kinds.js';
import { ProgressLine } from './output.js';

export interface MoveOptions {
  wait: boolean;
  timeoutMs: number;
  timeoutText: string;
  /** Where progress goes (default stderr); its isTTY picks the form. */
  stream?: NodeJS.WriteStream;
}

export async function moveDataset(client: Client, name: string, machine: string, opts: MoveOptions): Promise<void> {
  const ds = await client.datasets.get(name);
  if (ds.spec.deleted) throw new Error(`dataset "${name}" is deleted; a deleted dataset cannot move`);
  if (ds.spec.primary === machine && ds.status?.machine === machine) return console.log(`dataset/${name} is already on ${machine}`);
  if (ds.spec.primary !== machine) await client.datasets.patch(name, { spec: { primary: machine } });
  const lease = await client.leases.in(ds.metadata.namespace).find(name);
  const leased = lease && lease.spec.machine !== machine && leaseHolds(lease, Date.now()) ? lease : undefined;
  if (leased) process.stderr.write(`note: dataset ${name} is leased to ${leased.spec.machine}${leased.spec.expiresAt ? ` until ${leased.spec.expiresAt}` : ''}; the data moves once the lease is released or lapses\n`);
  if (!opts.wait) return console.log(`dataset/${name} moving to ${machine}${ds.status?.machine ? ` from ${ds.status.machine}` : ''}`);
  await follow(client, name, machine, opts);
}

async function follow(client: Client, name: string, machine: string, opts: MoveOptions): Promise<void> {
  const stream = opts.stream ?? process.stderr;
  const progress = new ProgressLine(stream);
  const meter = new Meter();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), opts.timeoutMs);
  const started = Date.now();
  let last = 'waiting for the move to start';
  let lastPlain = '';
  try {
    for await (const ev of client.datasets.watch({ name, signal: abort.signal, failFirstConnect: true })) {
      if (ev.type === 'BOOKMARK') continue;
      const ds = ev.object as Dataset;
      if (ev.type === 'DELETED' || ds.spec.deleted) throw new Error(`dataset "${name}" was deleted while it moved`);
      if (ds.spec.primary !== machine) throw new Error(`dataset "${name}" is now to move to ${ds.spec.primary ?? 'no machine'}, not ${machine}: someone moved it meanwhile`);
      if (ds.status?.machine === machine) {
        progress.done();
        const size = ds.status.size === undefined ? '' : ` (${bytesText(ds.status.size)})`;
        return console.log(`dataset/${name} moved to ${machine}${size} in ${Math.round((Date.now() - started) / 100) / 10}s`);
      }
      last = stateText(ds);
      if (stream.isTTY) progress.update(`moving ${name} to ${machine}: ${last}${meter.rate(ds)}`);
      else {
        // One line per phase and per tenth of the bytes.
        const move = ds.status?.move;
        const step = `${move?.phase ?? ''}|${move?.attempts ?? 0}|${move ? Math.floor(percentOf(move) / 10) : ''}`;
        if (step !== lastPlain) progress.update(`moving ${name} to ${machine}: ${last}`);
        lastPlain = step;
      }
    }
  } catch (err) {
    if (!abort.signal.aborted) {
      progress.done();
      throw err;
    }
  } finally {
    clearTimeout(timer);
  }
  // Aborting ends the watch, quietly or with an abort error: only the deadline aborts it.
  progress.done();
  if (abort.signal.aborted) throw new Error(`timed out after ${opts.timeoutText} waiting for dataset "${name}" to reach ${machine}: ${last}; the move goes on (drover get dataset ${name} -w)`);
  throw new Error(`the watch of dataset "${name}" ended before it reached ${machine}: ${last}`);
}

function stateText(ds: Dataset): string {
  const move = ds.status?.move;
  if (!move) return ds.status?.machine ? `waiting for ${ds.status.machine} to start sending` : 'waiting for the move to start';
  const attempt = move.attempts && move.attempts > 1 ? ` (attempt ${move.attempts})` : '';
  if (move.phase === 'Waiting') return `waiting for the tasks using it on ${move.from} to stop${attempt}`;
  return `${moveText(move)}${attempt}`;
}

/** Transfer rate over the current attempt, as " 3.1 MiB/s" (empty until it can tell). */
class Meter {
  private start?: { at: number; bytes: number; attempt: number };

  rate(ds: Dataset): string {
    const move = ds.status?.move;
    if (!move || move.phase !== 'Sending') return '';
    const now = Date.now();
    if (!this.start || this.start.attempt !== (move.attempts ?? 0) || move.bytesDone < this.start.bytes) {
      this.start = { at: now, bytes: move.bytesDone, attempt: move.attempts ?? 0 };
      return '';
    }
    const secs = (now - this.start.at) / 1000;
    if (secs <= 0) return '';
    const perSec = (move.bytesDone - this.start.bytes) / secs;
    return `, ${rateText(perSec)}`;
  }
}
