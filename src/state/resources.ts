// The typed repository of one kind: reads come from the watch cache, writes go to the store
// as compare-and-swap transactions on the object's modRevision. Object metadata that the
// server owns (uid, generation, timestamps) is maintained here, so controllers and handlers
// cannot get it wrong.
import { randomFillSync, randomUUID } from 'node:crypto';
import { prefixEnd, type Compare, type Store, type TxnRequest, type TxnResult } from '../store/store.js';
import { AlreadyExists, ApiError, Conflict, NotFound, PreconditionFailed } from '../errors.js';
import { DEFAULT_NAMESPACE } from '../model/meta.js';
import { sameJson } from '../model/json.js';
import type { AnyObject, KindInfo } from './object.js';
import type { Entry, WatchCache, WatchFilter } from './watch-cache.js';
import { storeCall } from './store-errors.js';
import { WrittenObjects } from './written.js';

export interface Preconditions {
  /** The object's current metadata.revision must equal this (If-Match, or metadata.revision in a PUT). */
  revision?: number;
  /** The object's uid must equal this (guards against acting on a recreated namesake). */
  uid?: string;
}

export type Mutation<T> = (current: T) => T | undefined;

/** How a repository keeps its reads current with the store (State implements it). */
export interface CacheSync {
  /** Resolves once the cache reflects `revision` (immediately on SQLite, where events precede acks). */
  waitForRevision(revision: number): Promise<void>;
  /**
   * Brings the cache up to the store for `name` of `plural`: after a cache miss, or a
   * compare-and-swap that failed at store revision `revision` because the cached object is stale.
   */
  catchUp(plural: string, name: string, revision?: number): Promise<void>;
}

export interface ResourcesOptions<T extends AnyObject> {
  info: KindInfo;
  store: Store;
  cache: WatchCache<T>;
  /** Key prefix of this kind's objects, ending in "/". */
  prefix: string;
  sync?: CacheSync;
  /** Where the watch that reports this repository's writes finds the objects they wrote. */
  written?: WrittenObjects;
  /** Largest stored value (default 1.5 MiB, etcd's limit): whoever writes, an object never grows past it. */
  maxObjectBytes?: number;
}

const MAX_RETRIES = 20;

export class Resources<T extends AnyObject = AnyObject> {
  readonly info: KindInfo;
  readonly cache: WatchCache<T>;
  private readonly store: Store;
  private readonly prefix: string;
  private readonly sync: CacheSync;
  private readonly written: WrittenObjects;
  private readonly maxObjectBytes: number;

  constructor(opts: ResourcesOptions<T>) {
    this.maxObjectBytes = opts.maxObjectBytes ?? 1.5 * 1024 * 1024;
    this.info = opts.info;
    this.cache = opts.cache;
    this.store = opts.store;
    this.prefix = opts.prefix;
    this.sync = opts.sync ?? { waitForRevision: () => Promise.resolve(), catchUp: () => Promise.resolve() };
    this.written = opts.written ?? new WrittenObjects();
  }

  /** The store key of an object key ("namespace/name" for a namespaced kind, else the name). */
  key(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** An object's key in this kind (see objectKey). */
  keyOf(obj: AnyObject): string {
    return this.cache.keyOf(obj);
  }

  get(name: string): T | undefined {
    return this.cache.get(name)?.object;
  }

  entry(name: string): Entry<T> | undefined {
    return this.cache.get(name);
  }

  /**
   * The object as of now even when this server's cache lags (another server just wrote it):
   * a cache miss is checked against the store before it counts as "not found".
   */
  async getCurrent(name: string): Promise<T | undefined> {
    const cached = this.cache.get(name)?.object;
    if (cached) return cached;
    await this.sync.catchUp(this.info.plural, name);
    return this.cache.get(name)?.object;
  }

  list(filter: WatchFilter = {}): T[] {
    return [...this.cache.select(filter)].map((e) => e.object);
  }

  /**
   * A page of the objects as of an older `revision`, read from the store (the cache only holds
   * the present): names after `after`, in order. Throws Gone once that revision is compacted.
   */
  async pageAt(revision: number, after: string, limit: number): Promise<{ objects: T[]; more: boolean }> {
    const prefix = this.key('');
    const res = await storeCall(() => this.store.range(`${prefix}${after}\0`, { end: prefixEnd(prefix), revision, limit }));
    return { objects: res.kvs.map((kv) => decode<T>(kv.value, kv.modRevision)), more: res.more };
  }

  /** Generates a name from a prefix, as Kubernetes' generateName: prefix + 5 random characters (free in `namespace`). */
  generateName(prefix: string, namespace?: string): string {
    const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
    for (;;) {
      let suffix = '';
      for (let i = 0; i < 5; i++) suffix += alphabet[randomByte() % alphabet.length];
      const name = prefix + suffix;
      if (!this.cache.get(this.info.namespaced ? `${namespace ?? DEFAULT_NAMESPACE}/${name}` : name)) return name;
    }
  }

  /** Creates the object; fails with AlreadyExists if the name is taken. */
  async create(input: T): Promise<T> {
    const now = new Date().toISOString();
    const namespace = this.info.namespaced ? { namespace: input.metadata.namespace ?? DEFAULT_NAMESPACE } : {};
    const obj = {
      ...input,
      metadata: { ...input.metadata, ...namespace, uid: randomUUID(), generation: 1, createdAt: now, updatedAt: now },
    } as T;
    if (!this.info.namespaced) delete (obj.metadata as Partial<T['metadata']>).namespace;
    delete (obj.metadata as Partial<T['metadata']>).deletionTimestamp;
    const key = this.key(this.keyOf(obj));
    const res = await this.putTxn(key, obj, { key, target: 'createRevision', op: '=', value: 0 });
    if (!res.succeeded) {
      const where = this.info.namespaced ? ` in namespace "${obj.metadata.namespace}"` : '';
      throw new AlreadyExists(`${this.info.kind.toLowerCase()} "${obj.metadata.name}" already exists${where}`);
    }
    return this.committed(obj, res);
  }

  /**
   * Reads the current object, applies `mutate` and writes the result if it changed, retrying on
   * concurrent writes — unless a precondition pins the revision, in which case a concurrent
   * write is the caller's conflict (412). `mutate` returning undefined means "no change".
   */
  async update(name: string, mutate: Mutation<T>, pre: Preconditions = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.mustGet(name);
      checkPreconditions(this.info.kind, current, pre);
      const next = mutate(current);
      if (next === undefined) return current;
      // Compared after stamping, so a write that differs only in server-owned metadata (a PUT
      // of GET output) changes nothing and keeps the revision.
      const written = this.stamp(current, next);
      if (sameObject(written, current)) return current;
      const key = this.key(name);
      const finishing = written.metadata.deletionTimestamp !== undefined && !(written.metadata.finalizers?.length);
      const compare: Compare = { key, target: 'modRevision', op: '=', value: current.metadata.revision };
      const res = finishing ? await this.txn({ compare: [compare], success: [{ type: 'delete', key }] }) : await this.putTxn(key, written, compare);
      if (res.succeeded) return this.committed(written, res);
      if (pre.revision !== undefined) throw this.stale(name, pre.revision);
      if (attempt >= MAX_RETRIES) throw new Conflict(`${this.what(name)} is changing too fast; try again`);
      await this.sync.catchUp(this.info.plural, name, res.revision);
    }
  }

  /** Creates the object, or replaces the spec side of an existing one; `created` says which. */
  async apply(input: T, pre: Preconditions = {}): Promise<{ object: T; created: boolean }> {
    const key = this.keyOf(input);
    if (!this.cache.get(key)) {
      if (pre.revision !== undefined || pre.uid !== undefined) throw new NotFound(`${this.info.kind.toLowerCase()} "${input.metadata.name}" not found`);
      try {
        return { object: await this.create(input), created: true };
      } catch (err) {
        if (!(err instanceof AlreadyExists)) throw err;
      }
    }
    const object = await this.update(
      key,
      (cur) => ({ ...input, status: cur.status, metadata: { ...input.metadata, finalizers: input.metadata.finalizers ?? cur.metadata.finalizers } }),
      pre,
    );
    return { object, created: false };
  }

  /**
   * Deletes the object. With finalizers present, only marks it (deletionTimestamp) and the
   * last finalizer's removal deletes it. Returns the last state.
   */
  async delete(name: string, pre: Preconditions = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.mustGet(name);
      checkPreconditions(this.info.kind, current, pre);
      if (current.metadata.finalizers?.length) {
        if (current.metadata.deletionTimestamp) return current;
        return this.update(name, (cur) => ({ ...cur, metadata: { ...cur.metadata, deletionTimestamp: new Date().toISOString() } }), pre);
      }
      const key = this.key(name);
      const res = await this.txn({
        compare: [{ key, target: 'modRevision', op: '=', value: current.metadata.revision }],
        success: [{ type: 'delete', key }],
      });
      if (res.succeeded) {
        await this.sync.waitForRevision(res.revision);
        return { ...current, metadata: { ...current.metadata, revision: res.revision } };
      }
      if (pre.revision !== undefined) throw this.stale(name, pre.revision);
      if (attempt >= MAX_RETRIES) throw new Conflict(`${this.what(name)} is changing too fast; try again`);
      await this.sync.catchUp(this.info.plural, name, res.revision);
    }
  }

  /** Puts `obj` if `compare` holds, offering the object to the watch that reports the put. */
  private async putTxn(key: string, obj: T, compare: Compare): Promise<TxnResult> {
    const stored = toStored(obj);
    const value = JSON.stringify(stored);
    // Characters, not bytes: cheap, and exact for the ASCII most objects are.
    if (value.length > this.maxObjectBytes) {
      throw new ApiError('PayloadTooLarge', `${this.info.kind.toLowerCase()} "${obj.metadata.name}" would take ${value.length} bytes encoded; the limit is ${this.maxObjectBytes}: make it smaller`);
    }
    const release = this.written.hold(key, value, stored);
    try {
      return await this.txn({ compare: [compare], success: [{ type: 'put', key, value }] });
    } finally {
      release();
    }
  }

  private txn(req: TxnRequest): Promise<TxnResult> {
    return storeCall(() => this.store.txn(req));
  }

  /** `service "web"`, with its namespace unless "default", from an object key. */
  private what(key: string): string {
    const slash = key.indexOf('/');
    if (slash < 0) return `${this.info.kind.toLowerCase()} "${key}"`;
    const namespace = key.slice(0, slash);
    return `${this.info.kind.toLowerCase()} "${key.slice(slash + 1)}"${namespace === DEFAULT_NAMESPACE ? '' : ` in namespace "${namespace}"`}`;
  }

  private async mustGet(name: string): Promise<T> {
    const cur = await this.getCurrent(name);
    if (!cur) throw new NotFound(`${this.what(name)} not found`);
    return cur;
  }

  private stale(name: string, expected: number): PreconditionFailed {
    const now = this.cache.get(name)?.revision;
    return new PreconditionFailed(
      `${this.what(name)} has changed: expected revision ${expected}, it is now ${now ?? 'deleted'}; read it again and retry`,
    );
  }

  /** Server-owned metadata of an updated object: kept from the current one, generation bumped on spec change. */
  private stamp(current: T, next: T): T {
    const specChanged = !sameJson(next.spec, current.spec);
    const metadata = {
      ...next.metadata,
      name: current.metadata.name,
      ...(current.metadata.namespace === undefined ? {} : { namespace: current.metadata.namespace }),
      uid: current.metadata.uid,
      createdAt: current.metadata.createdAt,
      generation: current.metadata.generation + (specChanged ? 1 : 0),
      updatedAt: new Date().toISOString(),
    };
    if (current.metadata.deletionTimestamp) metadata.deletionTimestamp = current.metadata.deletionTimestamp;
    return { ...next, apiVersion: current.apiVersion, kind: current.kind, metadata };
  }

  private async committed(obj: T, res: TxnResult): Promise<T> {
    await this.sync.waitForRevision(res.revision);
    return { ...obj, metadata: { ...obj.metadata, revision: res.revision } };
  }
}

/**
 * Random bytes drawn from a pooled buffer, as randomUUID does: a randomBytes call per generated
 * name (a system call and a buffer each) was ~5% of the server's CPU while tasks were created.
 */
const randomPool = Buffer.alloc(4096);
let randomPoolUsed = randomPool.length;

function randomByte(): number {
  if (randomPoolUsed === randomPool.length) {
    randomFillSync(randomPool);
    randomPoolUsed = 0;
  }
  return randomPool[randomPoolUsed++]!;
}

function checkPreconditions(kind: string, current: AnyObject, pre: Preconditions): void {
  const what = `${kind.toLowerCase()} "${current.metadata.name}"`;
  if (pre.uid !== undefined && pre.uid !== current.metadata.uid) {
    throw new PreconditionFailed(`${what} has uid ${current.metadata.uid}, not ${pre.uid}: it was deleted and recreated`);
  }
  if (pre.revision !== undefined && pre.revision !== current.metadata.revision) {
    throw new PreconditionFailed(
      `${what} has changed: expected revision ${pre.revision}, it is now ${current.metadata.revision}; read it again and retry`,
    );
  }
}

/** Equal apart from server-owned metadata: such a write would change nothing. */
function sameObject(a: AnyObject, b: AnyObject): boolean {
  const strip = (o: AnyObject) => ({ ...o, metadata: { ...o.metadata, revision: 0, updatedAt: '', generation: 0 } });
  return sameJson(strip(a), strip(b));
}

/** The stored form: the object without its revision (the store's modRevision is the revision). */
export function encode(obj: AnyObject): string {
  return JSON.stringify(toStored(obj));
}

/** The object without its revision: a new envelope and metadata, the rest shared with `obj`. */
function toStored<T extends AnyObject>(obj: T): T {
  const { revision: _revision, ...metadata } = obj.metadata;
  return { ...obj, metadata } as T;
}

export function decode<T extends AnyObject>(value: string, modRevision: number): T {
  const obj = JSON.parse(value) as T;
  obj.metadata.revision = modRevision;
  return obj;
}

export { sameJson };
