// The leader's view of the Store: every write also compares the election key's createRevision
// with the leader's fence, in the same transaction as the caller's own modRevision check. A
// deposed leader's late write therefore changes nothing, even if it has not noticed yet (a GC
// pause, a partition); it fails with NotLeaderError instead of looking like a conflict.
import {
  StoreError,
  type Compare,
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  type RangeStat,
  type Store,
  type TxnRequest,
  type TxnResult,
  type Watch,
  type WatchListener,
  type WatchOptions,
} from '../store/store.js';

export class NotLeaderError extends StoreError {
  override name = 'NotLeaderError';
}

export class FencedStore implements Store {
  readonly backend: string;
  private readonly fenceCompare: Compare;

  constructor(
    private readonly inner: Store,
    private readonly electionKey: string,
    private readonly fence: number,
  ) {
    this.backend = inner.backend;
    this.fenceCompare = { key: electionKey, target: 'createRevision', op: '=', value: fence };
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }
  compactedRevision(): Promise<number> {
    return this.inner.compactedRevision();
  }
  get(key: string, options?: Omit<RangeOptions, 'end'>): Promise<KeyValue | undefined> {
    return this.inner.get(key, options);
  }
  range(key: string, options?: RangeOptions): Promise<RangeResult> {
    return this.inner.range(key, options);
  }
  get rangeStat(): ((key: string, end: string) => Promise<RangeStat>) | undefined {
    return this.inner.rangeStat?.bind(this.inner);
  }

  async txn(request: TxnRequest): Promise<TxnResult> {
    if (request.failure?.some((op) => op.type !== 'range')) {
      // "fence lost" and "caller's compare failed" would share the failure branch: refuse rather
      // than write without a fence.
      throw new StoreError('a fenced transaction cannot write in its failure branch');
    }
    const result = await this.inner.txn({ ...request, compare: [this.fenceCompare, ...(request.compare ?? [])] });
    if (!result.succeeded) await this.checkFence();
    return result;
  }

  async put(key: string, value: string, options: { lease?: number } = {}): Promise<{ revision: number; prev?: KeyValue }> {
    const result = await this.txn({ success: [{ type: 'put', key, value, ...(options.lease ? { lease: options.lease } : {}) }] });
    const put = result.results[0];
    return { revision: result.revision, ...(put?.type === 'put' && put.prev ? { prev: put.prev } : {}) };
  }

  async delete(key: string, options: { end?: string } = {}): Promise<{ revision: number; deleted: number; prev: KeyValue[] }> {
    const result = await this.txn({ success: [{ type: 'delete', key, ...(options.end !== undefined ? { end: options.end } : {}) }] });
    const del = result.results[0];
    return del?.type === 'delete' ? { revision: result.revision, deleted: del.deleted, prev: del.prev } : { revision: result.revision, deleted: 0, prev: [] };
  }

  /** Throws NotLeaderError when the election key is no longer this leader's. */
  async checkFence(): Promise<void> {
    const kv = await this.inner.get(this.electionKey);
    if (kv?.createRevision !== this.fence) {
      throw new NotLeaderError(`not the leader any more (fence ${this.fence}, election key now ${kv ? `created at ${kv.createRevision}` : 'absent'}): write refused`);
    }
  }

  watch(key: string, options: WatchOptions, listener: WatchListener, onError?: (err: Error) => void): Watch {
    return this.inner.watch(key, options, listener, onError);
  }
  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }
  grantLease(ttlSeconds: number): Promise<number> {
    return this.inner.grantLease(ttlSeconds);
  }
  keepAlive(lease: number): Promise<{ ttlSeconds: number }> {
    return this.inner.keepAlive(lease);
  }
  revokeLease(lease: number): Promise<void> {
    return this.inner.revokeLease(lease);
  }
  leaseTimeToLive(lease: number): Promise<number> {
    return this.inner.leaseTimeToLive(lease);
  }
  /** The underlying store belongs to the server: closing the leader's view leaves it open. */
  async close(): Promise<void> {}
}
