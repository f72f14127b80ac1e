// A deduplicating work queue: keys added while a pass runs are handled in the next pass, each
// once, so a burst of events about one object costs one reconcile.
export class WorkQueue {
  private readonly queued = new Set<string>();
  /** Keys to add later, with their timers (one per key: the earliest wins). */
  private readonly later = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private running = false;
  private scheduled = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly handle: (keys: string[]) => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  add(key: string): void {
    if (this.closed) return;
    this.queued.add(key);
    this.schedule();
  }

  /** Adds `key` at time `at` (ms since the epoch), once; an earlier time replaces a later one. */
  addAt(key: string, at: number): void {
    if (this.closed) return;
    const pending = this.later.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.later.delete(key);
      this.add(key);
    }, Math.max(0, at - Date.now()));
    timer.unref();
    this.later.set(key, { at, timer });
  }

  close(): void {
    this.closed = true;
    this.queued.clear();
    for (const { timer } of this.later.values()) clearTimeout(timer);
    this.later.clear();
  }

  /** Resolves when the queue is empty and no pass runs. */
  idle(): Promise<void> {
    if (!this.running && !this.scheduled && this.queued.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.pass());
  }

  private async pass(): Promise<void> {
    this.scheduled = false;
    if (this.closed) return;
    this.running = true;
    const keys = [...this.queued];
    this.queued.clear();
    try {
      await this.handle(keys);
    } catch (err) {
      this.onError(err);
    } finally {
      this.running = false;
    }
    if (this.queued.size > 0) this.schedule();
    else for (const w of this.idleWaiters.splice(0)) w();
  }
}
