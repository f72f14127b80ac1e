// Compaction as the Store interface counts it, on etcd. etcd does not report its compaction
// revision, so it is found by bisection over reads at old revisions. And compact(R) makes R
// unreadable here while etcd keeps it readable (it holds the prev values of the next events), so
// a floor kept here refuses reads and watches at or below the highest compaction known.
import type { KVClient } from 'etcd3';
import { enc } from './etcd-codec.js';
import { isRevisionCompacted, isRevisionInFuture, type StoreCalls } from './etcd-errors.js';
import { CompactedError, FutureRevisionError } from './store.js';

export interface EtcdCompactionOptions extends StoreCalls {
  kv: KVClient;
  /** The store's current revision (a quorum read). */
  currentRevision(): Promise<number>;
}

export class EtcdCompaction {
  /** Highest compaction revision known: reads at or below it are refused (etcd still serves it). */
  private compactedFloor = 0;
  /** Lower bound of etcd's compaction revision (revisions below it are gone), for the search. */
  private etcdCompactRevision = 0;

  constructor(private readonly options: EtcdCompactionOptions) {}

  /** The highest compaction revision known, without asking etcd. */
  get floor(): number {
    return this.compactedFloor;
  }

  /** Refuses a read at `revision` if it is at or below the floor. */
  checkRevision(revision: number | undefined): void {
    if (revision && revision > 0 && revision <= this.compactedFloor) throw new CompactedError(revision, this.compactedFloor);
  }

  async compactedRevision(): Promise<number> {
    this.options.checkOpen();
    // etcd does not report its compaction revision; find the oldest readable revision by
    // bisection (reads at a revision below it fail). Only ever grows, so start from what we know.
    const current = await this.options.currentRevision();
    let low = Math.max(1, this.etcdCompactRevision);
    let high = current;
    const isReadable = async (rev: number): Promise<boolean> => {
      try {
        await this.options.kv.range({ key: enc('\0'), count_only: true, revision: rev });
        return true;
      } catch (err) {
        if (isRevisionCompacted(err)) return false;
        throw await this.options.mapError(err, {});
      }
    };
    if (!(await isReadable(low))) {
      while (low < high) {
        const mid = Math.floor((low + high) / 2);
        if (await isReadable(mid)) high = mid;
        else low = mid + 1;
      }
    }
    this.etcdCompactRevision = low;
    // etcd compacted at C keeps C readable; the interface counts C as compacted.
    this.compactedFloor = Math.max(this.compactedFloor, low > 1 ? low : 0);
    return this.compactedFloor;
  }

  /** compactedRevision(), or the lower bound known when etcd cannot be asked: for errors. */
  compactedRevisionOrKnown(): Promise<number> {
    return this.compactedRevision().catch(() => this.etcdCompactRevision);
  }

  /** True when reads at `revision` fail because history was compacted. */
  async isCompacted(revision: number): Promise<boolean> {
    if (revision <= 0) return false;
    if (revision <= this.compactedFloor) return true;
    try {
      await this.options.kv.range({ key: enc('\0'), count_only: true, revision });
      return false;
    } catch (err) {
      if (isRevisionCompacted(err)) return true;
      if (isRevisionInFuture(err)) return false;
      throw await this.options.mapError(err, { revision });
    }
  }

  compactionError(requested: number): Promise<CompactedError> {
    return this.compactedRevisionOrKnown().then((c) => new CompactedError(requested, Math.max(c, requested)));
  }

  async compact(revision: number): Promise<void> {
    this.options.checkOpen();
    const current = await this.options.currentRevision();
    if (revision > current) throw new FutureRevisionError(revision, current);
    const compacted = await this.compactedRevision();
    if (revision <= compacted) throw new CompactedError(revision, compacted);
    // etcd keeps its compaction revision readable (the prev value of the next event needs it);
    // the interface does not: reads and watches at `revision` are refused here instead.
    await this.options.call((o) => this.options.kv.compact({ revision, physical: false }, o), { revision });
    this.etcdCompactRevision = Math.max(this.etcdCompactRevision, revision);
    this.compactedFloor = Math.max(this.compactedFloor, revision);
  }
}
