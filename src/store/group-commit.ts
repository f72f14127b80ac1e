// Group commit: every write joins one queue; the first write into an empty queue schedules a flush
// with setImmediate (no timer), and the flush commits everything queued so far as one batch. While
// a batch commits, new writes queue up for the next one, so batches grow with load by themselves.
// A batch is capped so that a burst of queued writes cannot hold the event loop for long.
// Writes can be held briefly (the WAL checkpointer does, to let the WAL restart); reads go on.

export type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

export interface CommittedBatch {
  /** One outcome per item, in order; a failed item wrote nothing. */
  outcomes: Outcome[];
  /** Runs after the commit and before any promise settles (watchers see writes first). */
  publish(): void;
}

interface Pending<Item> {
  item: Item;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class GroupCommitQueue<Item> {
  private pending: Pending<Item>[] = [];
  private isScheduled = false;
  private isHeld = false;
  private released: Array<() => void> = [];

  /** `commit` applies a batch atomically, or throws and leaves no trace of it. */
  constructor(
    private readonly commit: (items: readonly Item[]) => CommittedBatch,
    private readonly maxBatch = 4096,
  ) {}

  submit<T>(item: Item): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ item, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Commits everything queued now, synchronously, even while held. */
  flushAll(): void {
    while (this.pending.length > 0) this.flushBatch();
  }

  /** Stops committing until `release`; writes keep queueing. */
  hold(): void {
    this.isHeld = true;
  }

  release(): void {
    if (!this.isHeld) return;
    this.isHeld = false;
    for (const resolve of this.released.splice(0)) resolve();
    this.schedule();
  }

  /** Resolves when writes are not held (now, if they are not). */
  whenReleased(): Promise<void> {
    return this.isHeld ? new Promise((resolve) => this.released.push(resolve)) : Promise.resolve();
  }

  private schedule(): void {
    if (this.isScheduled || this.isHeld || this.pending.length === 0) return;
    this.isScheduled = true;
    setImmediate(() => {
      this.isScheduled = false;
      if (this.isHeld) return;
      this.flushBatch();
      this.schedule();
    });
  }

  private flushBatch(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending.length <= this.maxBatch ? this.pending : this.pending.splice(0, this.maxBatch);
    if (batch === this.pending) this.pending = [];
    let committed: CommittedBatch;
    try {
      committed = this.commit(batch.map((p) => p.item));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    committed.publish();
    committed.outcomes.forEach((outcome, i) => {
      if (outcome.ok) batch[i]!.resolve(outcome.value);
      else batch[i]!.reject(outcome.error);
    });
  }
}
