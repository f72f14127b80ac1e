// Tasks follow their data. When a dataset's primary changes, the tasks a Service owns that mount
// it on another machine are deleted: the service controller makes new ones, placed on the new
// primary (whose agent holds them until the data has arrived), and the old holder, once they
// have stopped, sends the data. One-off tasks are left running: nothing would recreate them, so
// the move waits for them to end (the holder's agent does the waiting). While a lease pins the
// dataset to where it is, the data cannot move, so nothing is replaced until the lease lapses.
import type { Logger } from 'pino';
import { NotFound, PreconditionFailed } from '../errors.js';
import { controllerOf, DEFAULT_NAMESPACE, keyIn, leaseHolds, objectKey, TERMINAL_PHASES, type Dataset, type Lease, type Task } from '../model/index.js';
import type { State } from '../state/state.js';
import type { Subscription } from '../state/watch-cache.js';
import { WorkQueue } from './work-queue.js';

export class DatasetFollowersController {
  private readonly queue: WorkQueue;
  private readonly subs: Subscription[] = [];
  /** Dataset key ("namespace/name") → the tasks mounting it, by task key. */
  private readonly mounts = new Map<string, Map<string, Task>>();

  constructor(
    private readonly state: State,
    private readonly log: Logger,
  ) {
    this.queue = new WorkQueue((keys) => this.pass(keys), (err) => log.error({ err }, 'dataset followers pass failed'));
  }

  start(): void {
    const noop = () => {};
    this.subs.push(
      this.state.cache('tasks').subscribe(
        {},
        {
          send: (ev, type) => {
            const prev = ev.prev?.object as Task | undefined;
            const next = type === 'DELETED' ? undefined : (ev.entry.object as Task);
            if (!prev?.spec.template.volumes?.length && !next?.spec.template.volumes?.length) return;
            if (prev) this.unindex(prev);
            if (next) this.index(next);
            // A task bound while its dataset's primary was changing may have landed on the old machine.
            if (next && next.spec.machine !== prev?.spec.machine) for (const k of datasetKeys(next)) this.queue.add(k);
          },
          bookmark: noop,
        },
      ),
      this.state.cache('datasets').subscribe(
        {},
        { send: (ev, type) => type !== 'DELETED' && (ev.prev?.object as Dataset | undefined)?.spec.primary !== (ev.entry.object as Dataset).spec.primary && this.queue.add(ev.key), bookmark: noop },
      ),
      // A released or lapsed lease lets a waiting move go ahead (a lease is named after its dataset).
      this.state.cache('leases').subscribe({}, { send: (ev) => this.queue.add(ev.key), bookmark: noop }),
    );
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.close();
    this.queue.close();
  }

  /** Resolves when no pass is running or queued (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async pass(keys: string[]): Promise<void> {
    const datasets = this.state.resources<Dataset>('datasets');
    const leases = this.state.resources<Lease>('leases');
    const tasks = this.state.resources<Task>('tasks');
    const now = Date.now();
    for (const key of keys) {
      const ds = datasets.get(key);
      const primary = ds?.spec.primary;
      if (!ds || ds.spec.deleted || !primary) continue;
      const lease = leases.get(key);
      if (lease && lease.spec.machine !== primary && leaseHolds(lease, now)) {
        if (lease.spec.expiresAt) this.queue.addAt(key, Date.parse(lease.spec.expiresAt) + 1);
        continue;
      }
      for (const t of this.mounts.get(key)?.values() ?? []) {
        if (!t.spec.machine || t.spec.machine === primary || !isReplaceable(t)) continue;
        this.log.info({ task: objectKey(t, true), dataset: key, from: t.spec.machine, to: primary }, 'replacing a task to follow its dataset to its new primary');
        await tasks.delete(tasks.keyOf(t), { uid: t.metadata.uid }).catch((err) => {
          if (!(err instanceof NotFound || err instanceof PreconditionFailed)) this.log.warn({ err: String(err), task: t.metadata.name }, 'replacing a task of a moved dataset failed');
        });
      }
    }
  }

  private index(t: Task): void {
    const key = objectKey(t, true);
    for (const k of datasetKeys(t)) {
      let m = this.mounts.get(k);
      if (!m) this.mounts.set(k, (m = new Map()));
      m.set(key, t);
    }
  }

  private unindex(t: Task): void {
    const key = objectKey(t, true);
    for (const k of datasetKeys(t)) {
      const m = this.mounts.get(k);
      m?.delete(key);
      if (m?.size === 0) this.mounts.delete(k);
    }
  }
}

/** A live task a Service owns: deleting it makes its service place a new one. */
function isReplaceable(t: Task): boolean {
  return controllerOf(t)?.kind === 'Service' && !t.metadata.deletionTimestamp && !TERMINAL_PHASES.has(t.status?.phase ?? '');
}

function datasetKeys(t: Task): string[] {
  const namespace = t.metadata.namespace ?? DEFAULT_NAMESPACE;
  return [...new Set((t.spec.template.volumes ?? []).map((v) => keyIn(namespace, v.dataset)))];
}
