// One dataset as this machine sees it: each change funnels through kick(), and steps run one at
// a time (as a TaskRunner's do), each carrying out planDataset's action. A move's transfer runs
// beside the steps, so that a change (the primary moved back) can call it off.
import type { Logger } from 'pino';
import { leaseHolds, type Dataset, type DatasetBackend, type DatasetMove, type DatasetStatus } from '../../model/index.js';
import type { Client } from '../../client/client.js';
import type { DatasetStore } from './backend.js';
import { receiveMove, type ReceiveContext } from './move-receiver.js';
import { planDataset, type DatasetAction } from './plan.js';
import type { DatasetStatusWriter } from './status-writes.js';
import { treeSizeBytes } from './tree-size.js';

export interface WorkerContext extends ReceiveContext {
  client: Client;
  /** True while the agent acts on nothing the server says (it answers for another cluster). */
  paused(): boolean;
  writer: DatasetStatusWriter;
  /** The backends this machine offers (loopback only when it can loop-mount). */
  stores: Partial<Record<DatasetBackend, DatasetStore>>;
  /** Why loopback is not offered, if it is not. */
  loopbackProblem?: string;
  log: Logger;
  /** How often a wait on a lease looks again (default 2 s). */
  recheckMs?: number;
}

export class DatasetWorker {
  private busy = false;
  private dirty = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  /** The next `keep` measures the size again (set at start and by the periodic refresh). */
  private measure = true;
  private receiving: { abort: AbortController; done: Promise<void> } | undefined;

  constructor(
    private readonly ctx: WorkerContext,
    readonly key: string,
  ) {}

  kick(opts: { measure?: boolean } = {}): void {
    if (opts.measure) this.measure = true;
    if (this.closed || this.ctx.paused()) return;
    if (this.busy) {
      this.dirty = true;
      return;
    }
    this.busy = true;
    void (async () => {
      try {
        do {
          this.dirty = false;
          await this.step();
        } while (this.dirty && !this.closed);
        this.failures = 0;
      } catch (err) {
        this.ctx.log.warn({ err: String(err), dataset: this.key }, 'dataset step failed; retrying');
        this.later(Math.min(500 * 2 ** this.failures++, 15_000));
      } finally {
        this.busy = false;
      }
    })();
  }

  /** Calls off a transfer under way (the agent stopped trusting its server); the next kick decides again. */
  pause(): void {
    clearTimeout(this.timer);
    this.receiving?.abort.abort();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.receiving?.abort.abort();
    await this.receiving?.done;
  }

  /** Looks again in `ms` (a lease to lapse, a failed attempt's backoff); `timer` is set until then. */
  private later(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, ms);
  }

  private async step(): Promise<void> {
    const ds = this.ctx.local.get(this.key);
    if (!ds) return this.stopReceiving();
    const action = planDataset(ds, this.ctx.machine);
    if (action.do !== 'receive') await this.stopReceiving();
    if (action.do !== 'send') this.ctx.local.clearLeaving(this.key);
    const store = this.ctx.stores[ds.spec.backend ?? 'directory'];
    if (!store) return this.unavailable(ds, action);
    switch (action.do) {
      case 'create':
        return this.create(ds, store);
      case 'keep':
        return this.keep(ds, store);
      case 'send':
        return this.send(ds, store, action.to);
      case 'cancelMove':
        return void (await this.ctx.writer.write(ds, { ...ds.status, phase: 'Ready', move: null, reason: undefined, message: undefined }));
      case 'receive':
        return this.receive(ds, store);
      case 'delete':
        return this.remove(ds, store);
      case 'discard':
        if (ds.status?.machine !== this.ctx.machine && (await store.has(ds.spec.id!))) await store.remove(ds.spec.id!);
        return store.discardStaging(ds.spec.id!);
    }
  }

  private async create(ds: Dataset, store: DatasetStore): Promise<void> {
    const path = await store.create(ds.spec.id!, ds.spec.maximumSize);
    const size = await store.sizeBytes(ds.spec.id!);
    await this.ctx.writer.write(ds, { phase: 'Ready', machine: this.ctx.machine, path, size, move: null, observedGeneration: ds.metadata.generation });
  }

  /** Held here and wanted here: it is there (mounted again after a reboot), and its status says so. */
  private async keep(ds: Dataset, store: DatasetStore): Promise<void> {
    const id = ds.spec.id!;
    if (!(await store.has(id))) {
      const message = `the live copy is missing from ${store.path(id)} on machine ${this.ctx.machine}; restore it there, or delete the dataset`;
      if (ds.status?.message !== message) await this.ctx.writer.write(ds, { ...ds.status, phase: 'Failed', reason: 'DataMissing', message });
      return;
    }
    const path = await store.create(id, ds.spec.maximumSize);
    const size = this.measure ? await store.sizeBytes(id) : ds.status?.size;
    this.measure = false;
    const next: DatasetStatus = { ...ds.status, phase: 'Ready', path, size, reason: undefined, message: undefined, observedGeneration: ds.metadata.generation };
    if (!sameStatus(ds.status, next)) await this.ctx.writer.write(ds, next);
  }

  /** Held here, wanted on `to`: once no task here uses it and no lease pins it here, open the move (the bytes are served on request). */
  private async send(ds: Dataset, store: DatasetStore, to: string): Promise<void> {
    this.ctx.local.markLeaving(this.key);
    const open = ds.status?.move;
    const users = this.ctx.local.usersOf(this.key);
    const lease = await this.ctx.client.leases.in(ds.metadata.namespace).find(ds.metadata.name);
    const pinned = lease && lease.spec.machine === this.ctx.machine && leaseHolds(lease, Date.now());
    const startedAt = open?.to === to ? open.startedAt : new Date().toISOString();
    if (users.length || pinned) {
      const reason = pinned ? 'Leased' : 'InUse';
      const message = pinned
        ? `lease "${lease.metadata.name}" pins it to machine ${this.ctx.machine}${lease.spec.expiresAt ? ` until ${lease.spec.expiresAt}` : ''}; release the lease to move it`
        : `waiting for ${users.length} task run(s) using it on machine ${this.ctx.machine} to stop`;
      const move: DatasetMove = { from: this.ctx.machine, to, phase: 'Waiting', bytesDone: 0, bytesTotal: 0, startedAt, attempts: 0, message };
      if (!sameMove(open, move)) await this.ctx.writer.write(ds, { ...ds.status, phase: 'Moving', reason, message, move });
      if (pinned) this.later(this.ctx.recheckMs ?? 2_000);
      return;
    }
    if (open && open.to === to && open.phase !== 'Waiting') return; // open: the new primary pulls
    const bytesTotal = await treeSizeBytes(store.path(ds.spec.id!));
    const move: DatasetMove = { from: this.ctx.machine, to, phase: 'Sending', bytesDone: 0, bytesTotal, startedAt, attempts: 0 };
    await this.ctx.writer.write(ds, { ...ds.status, phase: 'Moving', reason: undefined, message: undefined, move });
  }

  private async receive(ds: Dataset, store: DatasetStore): Promise<void> {
    if (this.receiving || this.timer) return; // under way, or backing off after a failed attempt
    const abort = new AbortController();
    const done = (async () => {
      try {
        const outcome = await receiveMove(this.ctx, store, this.key, ds, abort.signal);
        this.ctx.log.info({ dataset: this.key, outcome }, 'dataset move received');
        this.failures = 0;
      } catch (err) {
        if (abort.signal.aborted) return;
        const attempt = (this.ctx.local.get(this.key)?.status?.move?.attempts ?? 0);
        this.ctx.log.warn({ err: String(err), dataset: this.key, attempt }, 'dataset move attempt failed; retrying');
        await this.noteFailure(err as Error);
        this.receiving = undefined;
        this.later(Math.min(500 * 2 ** this.failures++, 5_000));
        return;
      }
      this.receiving = undefined;
      this.kick();
    })();
    this.receiving = { abort, done };
  }

  /** Says on the move why the last attempt failed (best effort: the server may be the reason). */
  private async noteFailure(err: Error): Promise<void> {
    const cur = this.ctx.local.get(this.key);
    const move = cur?.status?.move;
    if (!cur || !move || planDataset(cur, this.ctx.machine).do !== 'receive') return;
    await this.ctx.writer.write(cur, { ...cur.status, move: { ...move, message: `attempt ${move.attempts ?? 1} failed: ${err.message}` } }).catch(() => undefined);
  }

  private async stopReceiving(): Promise<void> {
    const r = this.receiving;
    if (!r) return;
    r.abort.abort();
    await r.done;
    this.receiving = undefined;
  }

  /** Deleted: the holder removes the data, unless a lease pins it here. */
  private async remove(ds: Dataset, store: DatasetStore): Promise<void> {
    const lease = await this.ctx.client.leases.in(ds.metadata.namespace).find(ds.metadata.name);
    if (lease && lease.spec.machine === this.ctx.machine && leaseHolds(lease, Date.now())) {
      const message = `deleted, but lease "${lease.metadata.name}" pins it to machine ${this.ctx.machine}: the data stays until the lease is released or expires`;
      if (ds.status?.reason !== 'Leased') await this.ctx.writer.write(ds, { ...ds.status, reason: 'Leased', message });
      return this.later(this.ctx.recheckMs ?? 2_000);
    }
    if (this.ctx.local.usersOf(this.key).length) return; // its task runs stop first (a release kicks this again)
    await store.remove(ds.spec.id!);
    await store.discardStaging(ds.spec.id!);
    await this.ctx.writer.write(ds, { phase: 'Deleted', size: 0, move: null, reason: undefined, message: 'the data was removed', observedGeneration: ds.metadata.generation });
  }

  /** The dataset's backend is not offered here: say so, if it is this machine's to act on. */
  private async unavailable(ds: Dataset, action: DatasetAction): Promise<void> {
    if (action.do !== 'create' && action.do !== 'receive') return;
    const message = `machine ${this.ctx.machine} cannot hold ${ds.spec.backend} datasets${this.ctx.loopbackProblem ? ` (${this.ctx.loopbackProblem})` : ''}; choose a machine whose status.datasetBackends lists it`;
    if (ds.status?.message === message) return;
    if (action.do === 'create') await this.ctx.writer.write(ds, { ...ds.status, phase: 'Pending', reason: 'BackendUnavailable', message });
    else await this.ctx.writer.write(ds, { ...ds.status, move: { ...ds.status!.move!, message } });
  }
}

function sameStatus(a: DatasetStatus | undefined, b: DatasetStatus): boolean {
  return a?.phase === b.phase && a?.path === b.path && a?.size === b.size && a?.reason === b.reason && a?.message === b.message && a?.observedGeneration === b.observedGeneration;
}

function sameMove(a: DatasetMove | null | undefined, b: DatasetMove): boolean {
  return !!a && a.to === b.to && a.phase === b.phase && a.message === b.message;
}
