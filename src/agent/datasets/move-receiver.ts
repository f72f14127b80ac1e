// The new primary's half of a move: pull the live copy's bytes through the server into
// staging, verify them against the sender's manifest, fsync, promote into place, and only then
// commit (status.machine = this machine) with a compare-and-swap. Until that commit lands the
// sender's copy is the live one, so any failure here — a broken stream, a crash, a primary
// changed back — only costs the staging copy, and the next attempt starts from scratch.
import { Readable } from 'node:stream';
import type { Client } from '../../client/client.js';
import { errorFromResponse } from '../../client/errors.js';
import type { Dataset, DatasetMove } from '../../model/index.js';
import type { DatasetStore } from './backend.js';
import type { LocalDatasets } from './local-datasets.js';
import { planDataset } from './plan.js';
import type { DatasetStatusWriter } from './status-writes.js';
import { receiveDataset } from './tar-receive.js';

export interface ReceiveContext {
  machine: string;
  client: Client;
  local: LocalDatasets;
  writer: DatasetStatusWriter;
  /** Progress goes into status at most this often (default 250 ms: four writes a second). */
  progressMs?: number;
  /** A stream that brings nothing for this long is given up (default 30 s). */
  idleMs?: number;
}

export type ReceiveOutcome = 'committed' | 'superseded';

/** Carries out one attempt at the move `ds` describes; throws when the attempt failed (the caller retries). */
export async function receiveMove(ctx: ReceiveContext, store: DatasetStore, key: string, ds: Dataset, signal: AbortSignal): Promise<ReceiveOutcome> {
  const id = ds.spec.id!;
  const from = ds.status!.move!.from;
  const current = () => ctx.local.get(key);
  const stillOurs = (d: Dataset | undefined): d is Dataset => !!d && planDataset(d, ctx.machine).do === 'receive' && d.status?.move?.from === from;
  // Leftovers of an earlier attempt (a crash after promoting, before the commit landed) are not live.
  await store.discardStaging(id);
  if (ds.status?.machine !== ctx.machine && (await store.has(id))) await store.remove(id);
  const move: DatasetMove = { ...ds.status!.move!, attempts: (ds.status!.move!.attempts ?? 0) + 1, bytesDone: 0, message: undefined };
  let latest = await ctx.writer.write(ds, { ...ds.status, move });
  if (!latest) return 'superseded';
  const dir = await store.stage(id, ds.spec.maximumSize);
  // Set once the copy must stay: committed, or a commit was sent and its outcome is unknown (the
  // next look at the dataset decides: held here means keep it, anything else means discard).
  let keepCopy = false;
  try {
    await pull(ctx, latest, dir, signal, async (bytesDone) => {
      const cur = current();
      if (!stillOurs(cur)) throw new Error('the move was called off');
      const next = await ctx.writer.write(cur, { ...cur.status, move: { ...cur.status!.move!, bytesDone } }).catch(() => cur);
      if (next) latest = next;
      else if (!stillOurs(current())) throw new Error('the move was called off');
    });
    const verifying = current();
    if (!stillOurs(verifying)) return 'superseded';
    latest = (await ctx.writer.write(verifying, { ...verifying.status, move: { ...verifying.status!.move!, phase: 'Verifying', bytesDone: verifying.status!.move!.bytesTotal } })) ?? current()!;
    const path = await store.promote(id);
    const size = await store.sizeBytes(id);
    keepCopy = true;
    const outcome = await commit(ctx, key, path, size, stillOurs, signal);
    keepCopy = outcome === 'committed';
    return outcome;
  } finally {
    if (!keepCopy) {
      await store.discardStaging(id);
      // Promoted but not committed: not live (see commit()). The sender's copy still is.
      const now = current();
      if (now?.status?.machine !== ctx.machine && (await store.has(id))) await store.remove(id);
    }
  }
}

/** Streams the content into `dir`, calling `progress` with the bytes so far at most every progressMs. */
async function pull(ctx: ReceiveContext, ds: Dataset, dir: string, signal: AbortSignal, progress: (bytesDone: number) => Promise<void>): Promise<void> {
  const idle = new AbortController();
  const both = AbortSignal.any([signal, idle.signal]);
  const path = ctx.client.datasets.in(ds.metadata.namespace).pathOf(ds.metadata.name, '/content');
  const res = await ctx.client.fetch('GET', path, { stream: true, signal: both, headers: { accept: 'application/x-tar' } });
  if (!res.ok || !res.body) throw errorFromResponse(res.status, await res.text());
  const idleMs = ctx.idleMs ?? 30_000;
  let watchdog = setTimeout(() => idle.abort(new Error(`no bytes for ${idleMs / 1000}s`)), idleMs);
  let done = 0;
  let reportedAt = Date.now();
  let reporting: Promise<void> = Promise.resolve();
  let reportError: unknown;
  try {
    await receiveDataset(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), dir, (n) => {
      done += n;
      clearTimeout(watchdog);
      watchdog = setTimeout(() => idle.abort(new Error(`no bytes for ${idleMs / 1000}s`)), idleMs);
      if (reportError) throw reportError;
      // One report in flight at a time, never more often than progressMs: the stream never waits on it.
      if (Date.now() - reportedAt >= (ctx.progressMs ?? 250)) {
        reportedAt = Date.now();
        const bytesDone = done;
        reporting = reporting.then(() => progress(bytesDone)).catch((err: unknown) => void (reportError = err));
      }
    });
    await reporting;
    if (reportError) throw reportError;
  } catch (err) {
    if (both.aborted) throw both.reason instanceof Error ? both.reason : new Error('the transfer was cancelled', { cause: err });
    throw err;
  } finally {
    clearTimeout(watchdog);
  }
}

/**
 * The compare-and-swap that makes this copy the live one. A refused write is looked at again:
 * our own earlier attempt may have landed (its answer lost with the server), or the move may
 * have been called off (the primary changed back): then this copy is not live.
 */
async function commit(ctx: ReceiveContext, key: string, path: string, size: number, stillOurs: (d: Dataset | undefined) => d is Dataset, signal: AbortSignal): Promise<ReceiveOutcome> {
  for (let attempt = 0; ; attempt++) {
    const cur = ctx.local.get(key);
    if (cur?.status?.machine === ctx.machine) return 'committed';
    if (!stillOurs(cur)) return 'superseded';
    try {
      const done = await ctx.writer.write(cur, { phase: 'Ready', machine: ctx.machine, path, size, move: null, observedGeneration: cur.metadata.generation });
      if (done) return 'committed';
    } catch (err) {
      if (signal.aborted) throw err;
      // The server is away: keep the verified copy and try again; nothing is live here until this lands.
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 5_000)));
      await ctx.writer.refresh(cur).catch(() => undefined);
    }
  }
}
