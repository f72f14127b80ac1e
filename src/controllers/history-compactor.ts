// Automatic compaction of a store that does not compact itself (etcd), as kube-apiserver does:
// the leader alone, every interval, discards history older than the window of revisions that
// SQLite keeps on its own (`--history`). etcd compacts in the background in small batches
// (its compaction batch limit), so one call does not freeze it.
import type { Logger } from 'pino';

/** What the compactor needs of the state layer. */
export interface StoreHistory {
  currentRevision(): Promise<number>;
  compactedRevision(): Promise<number>;
  /** Resolves with the revision history is compacted through (≥ the one asked). */
  compact(revision: number): Promise<number>;
}

export interface HistoryCompactorOptions {
  /** Revisions of history to keep (default 10,000). */
  windowRevisions?: number;
  /** How often to compact (default 5 minutes, kube-apiserver's interval). */
  intervalMs?: number;
}

export class HistoryCompactor {
  private readonly windowRevisions: number;
  private readonly intervalMs: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private compacted = 0;
  private closed = false;

  constructor(
    private readonly store: StoreHistory,
    private readonly log: Logger,
    options: HistoryCompactorOptions = {},
  ) {
    this.windowRevisions = options.windowRevisions ?? 10_000;
    this.intervalMs = options.intervalMs ?? 5 * 60_000;
  }

  start(): void {
    if (this.windowRevisions <= 0) return;
    this.timer = setInterval(() => (this.running ??= this.compactOnce().finally(() => (this.running = undefined))), this.intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Compacts through current − window if that is past the last compaction. Never throws. */
  async compactOnce(): Promise<void> {
    try {
      const current = await this.store.currentRevision();
      const target = current - this.windowRevisions;
      if (target <= this.compacted || this.closed) return;
      // Once per term: the previous leader (or an operator) may have compacted further already.
      if (this.compacted === 0) this.compacted = await this.store.compactedRevision();
      if (target <= this.compacted) return;
      const compacted = await this.store.compact(target);
      if (compacted > target) {
        this.compacted = compacted;
        return;
      }
      this.compacted = target;
      this.log.info({ compactedRevision: target, currentRevision: current, windowRevisions: this.windowRevisions }, 'compacted store history');
    } catch (err) {
      this.log.warn({ err }, 'store history compaction failed; retrying at the next interval');
    }
  }
}
