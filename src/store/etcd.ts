// The Store on etcd 3 through the `etcd3` client (pure-JS gRPC). Keys pass through unchanged:
// the state layer owns the key layout (`<prefix>/<plural>/<name>`, State.open({prefix})), so
// `etcdctl get --prefix /drover` shows exactly what drover stores. Differences from etcd that
// the interface hides:
// - compact(R) makes R unreadable too; etcd keeps its compaction revision readable (it holds the
//   prev values of the next events), so reads and watches at R are refused here.
// - lease ids are JS numbers, etcd's are int64: we choose ids below 2^53 ourselves.
// - Debian's etcd 3.4.23 can repeat watch events: a watch drops anything at or below the last
//   revision it delivered.
// This file holds the key-value calls and wires the parts beside it: etcd-options (connecting),
// etcd-codec (etcd's messages), etcd-errors, etcd-compaction, etcd-watch and etcd-leases.
import etcd3 from 'etcd3';
import type { IRequestOp, Watcher } from 'etcd3';
import { enc, num, rangeRequest, toCompare, toKeyValue, toOpResults, toRequestOp } from './etcd-codec.js';
import { EtcdCompaction } from './etcd-compaction.js';
import { withDeadline, type CallDeadline } from './etcd-deadline.js';
import { grpcMessage, MAX_TXN_OPS, toStoreError, type ErrorContext, type StoreCalls } from './etcd-errors.js';
import { EtcdLeases } from './etcd-leases.js';
import { clientOptions, requestTimeoutMs, type EtcdStoreOptions } from './etcd-options.js';
import { EtcdWatch, type EtcdWatchHost } from './etcd-watch.js';
import {
  CompactedError,
  StoreError,
  StoreUnavailableError,
  type KeyValue,
  type Op,
  type RangeOptions,
  type RangeResult,
  type RangeStat,
  type Store,
  type TxnRequest,
  type TxnResult,
  type Watch,
  type WatchListener,
  type WatchOptions,
} from './store.js';

// The CLI and the server import these from here, next to the store they configure.
export { parseEtcdUrl, type EtcdStoreOptions } from './etcd-options.js';
export { MAX_TXN_OPS } from './etcd-errors.js';

const { Etcd3, SortOrder, SortTarget } = etcd3;

export class EtcdStore implements Store, EtcdWatchHost {
  readonly backend = 'etcd';
  private readonly client: InstanceType<typeof Etcd3>;
  private closed = false;
  /** Highest revision seen in any response: where a watch without startRevision starts. */
  private seenRevision = 0;
  private readonly watches = new Set<EtcdWatch>();
  private readonly compaction: EtcdCompaction;
  private readonly leases: EtcdLeases;

  private constructor(private readonly options: EtcdStoreOptions) {
    this.client = new Etcd3(clientOptions(options));
    const calls: StoreCalls = {
      checkOpen: () => this.checkOpen(),
      call: (fn, context) => this.call(fn, context),
      mapError: (err, context) => this.mapError(err, context),
    };
    this.compaction = new EtcdCompaction({ ...calls, kv: this.client.kv, currentRevision: () => this.currentRevision() });
    this.leases = new EtcdLeases({ ...calls, leaseClient: this.client.leaseClient, renewTimeoutMs: requestTimeoutMs(options) });
  }

  /** Connects and makes one quorum read, so a wrong endpoint fails here with a clear message. */
  static async open(options: EtcdStoreOptions): Promise<EtcdStore> {
    const store = new EtcdStore(options);
    try {
      await store.currentRevision();
    } catch (err) {
      await store.close();
      throw new StoreUnavailableError(`cannot reach etcd at ${options.endpoints.join(',')}: ${grpcMessage(err)}`);
    }
    return store;
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('the etcd store is closed');
  }

  private see(header: { revision: string } | undefined): number {
    const revision = num(header?.revision);
    if (revision > this.seenRevision) this.seenRevision = revision;
    return revision;
  }

  /** Runs one call with the store's deadline (see etcd-deadline.ts), mapping etcd and gRPC errors onto the Store's error types. */
  private async call<T>(fn: (options: CallDeadline) => Promise<T>, context: ErrorContext = {}): Promise<T> {
    this.checkOpen();
    try {
      return await withDeadline(fn, { timeoutMs: requestTimeoutMs(this.options), members: this.options.endpoints.length, isClosed: () => this.closed });
    } catch (err) {
      throw await this.mapError(err, context);
    }
  }

  /** When etcd cannot say its revisions, the error carries the last ones this client knew. */
  private mapError(err: unknown, context: ErrorContext): Promise<Error> {
    return toStoreError(err, context, {
      isClosed: () => this.closed,
      compactedRevision: () => this.compaction.compactedRevisionOrKnown(),
      currentRevision: () => this.currentRevision().catch(() => this.seenRevision),
    });
  }

  async currentRevision(): Promise<number> {
    const res = await this.call((o) => this.client.kv.range({ key: enc('\0'), count_only: true, limit: 1 }, o));
    return this.see(res.header);
  }

  compactedRevision(): Promise<number> {
    return this.compaction.compactedRevision();
  }

  async get(key: string, options: Omit<RangeOptions, 'end'> = {}): Promise<KeyValue | undefined> {
    const result = await this.range(key, { ...options, limit: 1 });
    return result.kvs[0];
  }

  async range(key: string, options: RangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    this.compaction.checkRevision(options.revision);
    const res = await this.call((o) => this.client.kv.range(rangeRequest(key, options), o), { revision: options.revision });
    const current = this.see(res.header);
    return {
      kvs: (res.kvs ?? []).map(toKeyValue),
      more: Boolean(res.more),
      count: num(res.count),
      revision: options.revision && options.revision > 0 ? options.revision : current,
    };
  }

  async put(key: string, value: string, options: { lease?: number } = {}): Promise<{ revision: number; prev?: KeyValue }> {
    const res = await this.call(
      (o) => this.client.kv.put({ key: enc(key), value: enc(value), prev_kv: true, ...(options.lease ? { lease: options.lease } : {}) }, o),
      { lease: options.lease },
    );
    const revision = this.see(res.header);
    return res.prev_kv ? { revision, prev: toKeyValue(res.prev_kv) } : { revision };
  }

  async delete(key: string, options: { end?: string } = {}): Promise<{ revision: number; deleted: number; prev: KeyValue[] }> {
    const res = await this.call((o) =>
      this.client.kv.deleteRange({ key: enc(key), ...(options.end !== undefined ? { range_end: enc(options.end) } : {}), prev_kv: true }, o),
    );
    return { revision: this.see(res.header), deleted: num(res.deleted), prev: (res.prev_kvs ?? []).map(toKeyValue) };
  }

  /** A range at a compacted revision is refused here: etcd would still serve it. */
  private checkedRequestOp(op: Op): IRequestOp {
    if (op.type === 'range') this.compaction.checkRevision(op.options?.revision);
    return toRequestOp(op);
  }

  async txn(request: TxnRequest): Promise<TxnResult> {
    this.checkOpen();
    const success = request.success ?? [];
    const failure = request.failure ?? [];
    // etcd limits compares and each branch separately (--max-txn-ops).
    const biggest = Math.max(request.compare?.length ?? 0, success.length, failure.length);
    if (biggest > MAX_TXN_OPS) {
      throw new StoreError(`a transaction holds at most ${MAX_TXN_OPS} operations on etcd, got ${biggest}: split it into several transactions`);
    }
    const lease = [...success, ...failure].find((op) => op.type === 'put' && op.lease);
    const rangeRevision = [...success, ...failure].find((op) => op.type === 'range' && op.options?.revision);
    const res = await this.call(
      (o) =>
        this.client.kv.txn(
          {
            compare: (request.compare ?? []).map(toCompare),
            success: success.map((op) => this.checkedRequestOp(op)),
            failure: failure.map((op) => this.checkedRequestOp(op)),
          },
          o,
        ),
      {
        lease: lease?.type === 'put' ? lease.lease : undefined,
        revision: rangeRevision?.type === 'range' ? rangeRevision.options?.revision : undefined,
      },
    );
    const revision = this.see(res.header);
    const ops = res.succeeded ? success : failure;
    const results = toOpResults(ops, res.responses ?? [], revision);
    return { succeeded: Boolean(res.succeeded), revision, results };
  }

  watch(key: string, options: WatchOptions, listener: WatchListener, onError?: (err: Error) => void): Watch {
    this.checkOpen();
    // "Only future events": everything after the newest revision this client has seen, so a
    // write issued after watch() returns is never missed even before etcd registers the watch.
    const isImplicitStart = !options.startRevision;
    const startRevision = options.startRevision || this.seenRevision + 1;
    const watch = new EtcdWatch({
      store: this,
      key,
      end: options.end,
      startRevision,
      isImplicitStart,
      listener,
      onError,
      onClose: () => this.watches.delete(watch),
    });
    this.watches.add(watch);
    if (startRevision <= this.compaction.floor) {
      queueMicrotask(() => watch.fail(new CompactedError(startRevision, this.compaction.floor)));
    } else {
      watch.start();
    }
    return watch;
  }

  /** @internal used by EtcdWatch */
  createWatcher(key: string, end: string | undefined, startRevision: number): Watcher {
    let builder = this.client.watch().withPreviousKV();
    builder = end !== undefined ? builder.inRange({ start: enc(key), end: enc(end) }) : builder.key(enc(key));
    if (startRevision > 0) builder = builder.startRevision(String(startRevision));
    // watcher(), not create(): the Watcher exists (and can be cancelled) before etcd confirms it.
    return builder.watcher();
  }

  async rangeStat(key: string, end: string): Promise<RangeStat> {
    // etcd sorts the whole range before applying the limit, so the count stays the full count.
    const res = await this.call((o) =>
      this.client.kv.range({ key: enc(key), range_end: enc(end), keys_only: true, limit: 1, sort_order: SortOrder.Descend, sort_target: SortTarget.Mod }, o),
    );
    const newest = res.kvs?.[0];
    return { revision: this.see(res.header), count: num(res.count), newestModRevision: newest ? num(newest.mod_revision) : 0 };
  }

  /** @internal True when reads at `revision` fail because history was compacted. */
  isCompacted(revision: number): Promise<boolean> {
    return this.compaction.isCompacted(revision);
  }

  /** @internal */
  noteRevision(revision: number): void {
    if (revision > this.seenRevision) this.seenRevision = revision;
  }

  /** @internal */
  compactionError(requested: number): Promise<CompactedError> {
    return this.compaction.compactionError(requested);
  }

  compact(revision: number): Promise<void> {
    return this.compaction.compact(revision);
  }

  grantLease(ttlSeconds: number): Promise<number> {
    return this.leases.grant(ttlSeconds);
  }

  keepAlive(lease: number): Promise<{ ttlSeconds: number }> {
    return this.leases.keepAlive(lease);
  }

  revokeLease(lease: number): Promise<void> {
    return this.leases.revoke(lease);
  }

  leaseTimeToLive(lease: number): Promise<number> {
    return this.leases.timeToLive(lease);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Watches are cancelled while the client is still open: a watcher left attached makes etcd3
    // re-dial forever after close (a timer loop that keeps the process alive).
    await Promise.all([...this.watches].map((w) => w.closeAndDetach()));
    this.closed = true;
    await this.leases.close();
    this.client.close();
  }

  /** @internal */
  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal */
  warn(obj: unknown, msg: string): void {
    this.options.logger?.warn(obj, msg);
  }
}
