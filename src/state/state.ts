// The state layer: one watch on the store feeds a watch cache per kind, and a typed
// repository per kind writes through the store. The only module that holds a Store.
import { randomUUID } from 'node:crypto';
import { CompactedError, StoreUnavailableError, prefixEnd, type RangeStat, type Store, type StoreSpace, type Watch, type WatchEvent } from '../store/store.js';
import { BatchedGets } from './batched-gets.js';
import { Coalesced } from './coalesced.js';
import { Liveness } from './liveness.js';
import type { AnyObject, KindInfo } from './object.js';
import { Resources, decode, type CacheSync } from './resources.js';
import { fromStoreError, storeCall } from './store-errors.js';
import { StoreReachability } from './store-reachability.js';
import { migrateToNamespacedKeys } from './namespace-layout.js';
import { DEFAULT_NAMESPACE } from '../model/meta.js';
import { DEFAULT_NETWORK } from '../model/cluster.js';
import { AlreadyExists } from '../errors.js';
import { WatchCache, type EventType } from './watch-cache.js';
import { WrittenObjects } from './written.js';

export type { StoreSpace };

export interface StateOptions {
  store: Store;
  kinds: KindInfo[];
  /** Key prefix of all objects (etcd's `--etcd-prefix`), default "/drover". */
  prefix?: string;
  /** Events each kind's cache keeps for resuming watches. */
  historyEvents?: number;
  /** Interval of BOOKMARK events to every watcher. */
  bookmarkIntervalMs?: number;
  /** Seconds without a heartbeat before a machine counts as gone (default 15). */
  machineGraceSeconds?: number;
  onError?: (err: Error) => void;
  /**
   * Make reads without a revision current across servers: wait until the cache reflects a quorum
   * read of the store (default: on when the store's watches lag its writes, i.e. etcd).
   */
  consistentReads?: boolean;
  /** How long a consistent read waits for the cache before answering 503 (default 5,000). */
  syncTimeoutMs?: number;
  /** How long a consistent read waits for the store's answer before serving from the cache (default 2,000). */
  quorumReadTimeoutMs?: number;
  /** Largest stored object, encoded (default 1.5 MiB). */
  maxObjectBytes?: number;
}

/** A consistent read found this server's cache too far behind the store (503: retry, or ask another server). */
export class CacheBehindError extends StoreUnavailableError {
  override name = 'CacheBehindError';
}

/** Waits for the cache: resolved when `isReached()` holds after an event batch. */
interface CacheWaiter {
  isReached(): boolean;
  resolve(): void;
}

export class State implements CacheSync {
  private readonly caches = new Map<string, WatchCache>();
  private readonly repos = new Map<string, Resources>();
  private watch?: Watch;
  private waiters: CacheWaiter[] = [];
  private syncReads = false;
  private syncTimeoutMs = 5_000;
  private reachability = new StoreReachability(2_000);
  /** One stat read of each kind at a time; lists arriving meanwhile share the next one. */
  private readonly kindStats = new Map<string, Coalesced<RangeStat>>();
  private readonly quorumGets: BatchedGets;
  private readonly written = new WrittenObjects();
  private bookmarkTimer?: NodeJS.Timeout;
  private reloadTimer?: NodeJS.Timeout;
  private closed = false;
  revision = 0;
  /**
   * This cluster's identity, created with its store: agents remember it, and refuse to act on
   * a server whose store is another one (an empty or wrong --data, a different etcd prefix).
   */
  clusterId = '';
  /** Machine heartbeats (keys on store leases under <prefix>/heartbeats/). */
  readonly liveness: Liveness;

  private constructor(
    private readonly store: Store,
    private readonly prefix: string,
    machineGraceSeconds: number,
  ) {
    this.liveness = new Liveness(store, `${prefix}heartbeats/`, machineGraceSeconds);
    this.quorumGets = new BatchedGets(store);
  }

  static async open(options: StateOptions): Promise<State> {
    const prefix = (options.prefix ?? '/drover').replace(/\/+$/, '') + '/';
    const state = new State(options.store, prefix, options.machineGraceSeconds ?? 15);
    for (const info of options.kinds) {
      const cache = new WatchCache(info, { historyEvents: options.historyEvents });
      state.caches.set(info.plural, cache);
      state.repos.set(info.plural, new Resources({ info, store: options.store, cache, prefix: `${prefix}${info.plural}/`, sync: state, written: state.written, maxObjectBytes: options.maxObjectBytes }));
    }
    state.syncReads = (options.consistentReads ?? options.store.backend === 'etcd') && options.store.rangeStat !== undefined;
    state.syncTimeoutMs = options.syncTimeoutMs ?? 5_000;
    state.reachability = new StoreReachability(options.quorumReadTimeoutMs ?? 2_000);
    for (const info of options.kinds) {
      const from = `${prefix}${info.plural}/`;
      state.kindStats.set(info.plural, new Coalesced(() => options.store.rangeStat!(from, prefixEnd(from))));
    }
    await migrateToNamespacedKeys(options.store, prefix, options.kinds);
    await state.load(options.onError);
    state.clusterId = await state.ensureClusterId();
    await state.ensureDefaults();
    state.bookmarkTimer = setInterval(() => {
      for (const c of state.caches.values()) c.bookmarkAll();
    }, options.bookmarkIntervalMs ?? 5_000);
    state.bookmarkTimer.unref();
    return state;
  }

  resources<T extends AnyObject = AnyObject>(plural: string): Resources<T> {
    const r = this.repos.get(plural);
    if (!r) throw new Error(`unknown kind "${plural}"`);
    return r as unknown as Resources<T>;
  }

  cache(plural: string): WatchCache {
    return this.caches.get(plural)!;
  }

  kinds(): KindInfo[] {
    return [...this.caches.values()].map((c) => c.info);
  }

  /** Whether reads wait for a quorum read of the store first (etcd: the cache may lag other servers' writes). */
  get consistentReads(): boolean {
    return this.syncReads;
  }

  /** Resolves once every cache reflects `revision` (immediately on SQLite, where events precede acks). */
  waitForRevision(revision: number): Promise<void> {
    if (this.revision >= revision) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ isReached: () => this.revision >= revision, resolve }));
  }

  /**
   * After a cache miss, or a compare-and-swap that failed at store revision `revision`: resolves
   * once the cache holds the store's version of the object. With consistent reads that is
   * syncObject, not a wait for `revision`: on etcd that revision may belong to a key outside the
   * prefix, which this cache never sees (the wait would never end).
   */
  catchUp(plural: string, name: string, revision?: number): Promise<void> {
    if (this.syncReads) return this.syncObject(plural, name).catch((err: unknown) => Promise.reject(fromStoreError(err)));
    return revision ? this.waitForRevision(revision) : Promise.resolve();
  }

  /**
   * Makes the cache current for one object before a read (see syncObject). When the store
   * cannot answer (etcd lost quorum) the read is served from the cache instead, so reads keep
   * working while writes cannot: resolves with the time since which the store has been
   * unreachable then (the answer may be out of date), undefined when the cache is current. A
   * cache that cannot catch up fails with Unavailable (503).
   */
  freshObject(plural: string, name: string): Promise<Date | undefined> {
    return this.fresh(this.syncObject(plural, name));
  }

  /**
   * The newest revision this server can vouch for a list of `plural` at (see syncKind); the
   * cache's when the store cannot answer, with `staleSince` as freshObject's.
   */
  async freshRevision(plural: string): Promise<{ revision: number; staleSince?: Date }> {
    const cacheRevision = this.cache(plural).revision;
    if (!this.syncReads) return { revision: cacheRevision };
    let revision = cacheRevision;
    const staleSince = await this.fresh(this.syncKind(plural).then((r) => void (revision = Math.max(r, cacheRevision))));
    return staleSince ? { revision, staleSince } : { revision };
  }

  /**
   * Since when the store has not answered, or undefined while it answers: what this server last
   * learned from its quorum reads and /readyz probes, without asking the store again.
   */
  get unreachableSince(): Date | undefined {
    return this.reachability.unreachableSince;
  }

  private async fresh(sync: Promise<unknown>): Promise<Date | undefined> {
    try {
      await sync;
      return undefined;
    } catch (err) {
      if (err instanceof StoreUnavailableError && !(err instanceof CacheBehindError)) return this.reachability.unreachableSince ?? new Date();
      throw fromStoreError(err);
    }
  }

  /** Reads the cluster's id, or creates it if this store has none yet (only one creation wins). */
  private async ensureClusterId(): Promise<string> {
    const key = `${this.prefix}cluster`;
    for (;;) {
      const found = (await storeCall(() => this.store.range(key))).kvs[0];
      if (found) return (JSON.parse(found.value) as { id: string }).id;
      const id = randomUUID();
      const res = await storeCall(() =>
        this.store.txn({ compare: [{ key, target: 'createRevision', op: '=', value: 0 }], success: [{ type: 'put', key, value: JSON.stringify({ id, createdAt: new Date().toISOString() }) }] }),
      );
      if (res.succeeded) return id;
    }
  }

  /**
   * What exists from the start when its kind is served: the namespace objects land in when none
   * is given, and the network a cluster gets when it names none.
   */
  private async ensureDefaults(): Promise<void> {
    await this.ensureObject('namespaces', { apiVersion: 'drover/v1', kind: 'Namespace', metadata: { name: DEFAULT_NAMESPACE }, spec: {}, status: {} });
    await this.ensureObject('networks', { apiVersion: 'drover/v1', kind: 'Network', metadata: { name: DEFAULT_NETWORK }, spec: { type: 'flannel_etcd', options: {} }, status: {} });
  }

  private async ensureObject(plural: string, obj: Record<string, unknown> & { metadata: { name: string } }): Promise<void> {
    const repo = this.repos.get(plural);
    if (!repo || repo.get(obj.metadata.name)) return;
    await repo.create(obj as unknown as AnyObject).catch((err: unknown) => {
      if (!(err instanceof AlreadyExists)) throw err;
    });
  }

  /** The store backend: "sqlite" or "etcd". */
  get backend(): string {
    return this.store.backend;
  }

  /** What the store holds against its quota, and its NOSPACE alarm; undefined where the backend keeps its own (etcd). */
  storeSpace(): StoreSpace | undefined {
    return this.store.space?.();
  }

  /** The store's current revision (a round trip: /readyz uses it to see that the store answers). */
  currentRevision(): Promise<number> {
    const call = this.store.currentRevision();
    this.reachability.learnFrom(call, Date.now());
    return storeCall(() => call);
  }

  /** The revision history is compacted through. */
  compactedRevision(): Promise<number> {
    return storeCall(() => this.store.compactedRevision());
  }

  /**
   * Read-your-writes across servers for one object, as Kubernetes' consistent reads: a quorum
   * read of its key, then a wait until the cache reflects it. Both ends are writes inside the
   * prefix (the key's last put, or the delete the cache has yet to see), so the wait ends as
   * soon as this server's watch delivers them, whatever else is written to etcd.
   */
  async syncObject(plural: string, name: string): Promise<void> {
    if (!this.syncReads) return;
    const cache = this.cache(plural);
    const kv = await this.reachability.quorumRead(this.quorumGets.get(`${this.prefix}${plural}/${name}`));
    if (kv) {
      await this.waitUntil(() => this.revision >= kv.modRevision, kv.modRevision);
    } else {
      const stale = cache.get(name);
      if (stale) await this.waitUntil(() => cache.get(name) !== stale, 0);
    }
  }

  /**
   * Read-your-writes across servers for a list of a kind; returns the store revision the
   * cache's objects of that kind are now current with (at least the cache's revision). That
   * revision may come from keys outside the prefix, which this server's watch never delivers;
   * the newest modRevision and the count of the kind's keys do not: once the cache has reached
   * that modRevision, only deletes can be missing, and those show in the count.
   */
  async syncKind(plural: string): Promise<number> {
    if (!this.syncReads) return this.revision;
    const cache = this.cache(plural);
    const stat = await this.reachability.quorumRead(this.kindStats.get(plural)!.run());
    await this.waitUntil(() => this.revision >= stat.revision || (this.revision >= stat.newestModRevision && cache.size === stat.count), stat.newestModRevision);
    return Math.max(stat.revision, this.revision);
  }

  private waitUntil(isReached: () => boolean, target: number): Promise<void> {
    if (isReached()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: CacheWaiter = {
        isReached,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const behind = target > this.revision ? ` (it is at revision ${this.revision}, the store at ${target} or later)` : '';
        reject(new CacheBehindError(`this server's cache has not caught up with the store within ${this.syncTimeoutMs} ms${behind}; retry, or use another server`));
      }, this.syncTimeoutMs);
      this.waiters.push(waiter);
    });
  }

  /**
   * Discards history through `revision`. Resolves with the revision history is now compacted
   * through: more than asked when another server (or an operator) compacted further already.
   */
  async compact(revision: number): Promise<number> {
    try {
      await this.store.compact(revision);
      return revision;
    } catch (err) {
      if (err instanceof CompactedError) return err.compactedRevision;
      throw fromStoreError(err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.bookmarkTimer);
    clearTimeout(this.reloadTimer);
    this.watch?.close();
  }

  private async load(onError?: (err: Error) => void): Promise<void> {
    const all = await this.store.range(this.prefix, { end: prefixEnd(this.prefix) });
    if (this.closed) return;
    const byKind = new Map<string, AnyObject[]>();
    const storedByKind = new Map<string, string[]>();
    this.liveness.reset(all.kvs.filter((kv) => kv.key.startsWith(this.liveness.prefix)));
    for (const kv of all.kvs) {
      const plural = this.pluralOf(kv.key);
      if (!plural) continue;
      let list = byKind.get(plural);
      if (!list) byKind.set(plural, (list = []));
      list.push(decode(kv.value, kv.modRevision));
      let stored = storedByKind.get(plural);
      if (!stored) storedByKind.set(plural, (stored = []));
      stored.push(kv.value);
    }
    const isFirst = this.watch === undefined;
    for (const [plural, cache] of this.caches) {
      if (isFirst) cache.reset(byKind.get(plural) ?? [], all.revision, storedByKind.get(plural));
      else cache.replace(byKind.get(plural) ?? [], all.revision, storedByKind.get(plural));
    }
    if (all.revision > this.revision) this.revision = all.revision;
    this.resolveWaiters();
    this.watch = this.store.watch(
      this.prefix,
      { end: prefixEnd(this.prefix), startRevision: all.revision + 1 },
      (events, revision) => this.onEvents(events, revision),
      (err) => {
        onError?.(err);
        this.reload(onError);
      },
    );
  }

  /**
   * The store's watch failed (on etcd: its history was compacted past us after a long
   * disconnect, or etcd went away): list again and watch from there, as Kubernetes' reflectors
   * do, retrying until it works or the state is closed.
   */
  private reload(onError?: (err: Error) => void, delayMs = 100): void {
    if (this.closed) return;
    this.reloadTimer = setTimeout(() => {
      if (this.closed) return;
      this.load(onError).catch((err: unknown) => {
        onError?.(err instanceof Error ? err : new Error(String(err)));
        this.reload(onError, Math.min(delayMs * 2, 5_000));
      });
    }, delayMs);
  }

  private onEvents(events: WatchEvent[], revision: number): void {
    for (const ev of events) {
      const plural = this.pluralOf(ev.kv.key);
      if (!plural) {
        if (ev.kv.key.startsWith(this.liveness.prefix)) this.liveness.apply(ev);
        continue;
      }
      const cache = this.caches.get(plural)!;
      let type: EventType;
      let obj: AnyObject;
      if (ev.type === 'delete') {
        // The cache holds the last state; no need to parse prev (etcd may not even send it).
        const current = cache.get(ev.kv.key.slice(this.prefix.length + plural.length + 1));
        if (!current) continue;
        type = 'DELETED';
        obj = current.object;
      } else {
        type = ev.prev ? 'MODIFIED' : 'ADDED';
        obj = this.written.take(ev.kv.key, ev.kv.value, ev.kv.modRevision) ?? decode(ev.kv.value, ev.kv.modRevision);
      }
      if (ev.type === 'delete') cache.apply(type, obj, revision);
      else cache.apply(type, obj, revision, ev.kv.value.length, ev.kv.value);
    }
    this.revision = revision;
    for (const c of this.caches.values()) c.advance(revision);
    this.resolveWaiters();
  }

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: CacheWaiter[] = [];
    for (const w of this.waiters) {
      if (w.isReached()) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  private pluralOf(key: string): string | undefined {
    const rest = key.slice(this.prefix.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return undefined;
    const plural = rest.slice(0, slash);
    return this.caches.has(plural) ? plural : undefined;
  }
}
