// The Store: a revisioned key–value store with etcd's data model. Every committed write
// (a put, a delete, or a whole transaction) bumps one global revision; each key carries
// createRevision, modRevision and version; transactions compare-and-swap; watches stream
// ordered events from any revision that has not been compacted. Only `src/state/` uses it.

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that created this key (since its last deletion). */
  createRevision: number;
  /** Revision of the last write to this key. */
  modRevision: number;
  /** Number of writes since creation (1 after the create). */
  version: number;
  /** Lease the key is attached to, 0 for none. */
  lease: number;
}

export interface RangeOptions {
  /** Exclusive end of the key range; omitted: only `key` itself. Use `prefixEnd(prefix)` for a prefix. */
  end?: string;
  /** Read the state as of this revision (0 or omitted: current). Compacted revisions throw `CompactedError`. */
  revision?: number;
  /** Maximum number of keys returned (0 or omitted: no limit). */
  limit?: number;
  /** Count only, return no key-values. */
  countOnly?: boolean;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** True when `limit` cut the result short: continue from the last key + '\0'. */
  more: boolean;
  /** Number of keys in the range (ignoring limit). */
  count: number;
  /** The revision the read was served at. */
  revision: number;
}

export interface RangeStat {
  revision: number;
  count: number;
  newestModRevision: number;
}

export type Compare =
  | { key: string; target: 'modRevision' | 'createRevision' | 'version'; op: '=' | '!=' | '<' | '>'; value: number }
  | { key: string; target: 'value'; op: '=' | '!='; value: string }
  | { key: string; target: 'lease'; op: '=' | '!='; value: number };

export type Op =
  | { type: 'put'; key: string; value: string; lease?: number }
  | { type: 'delete'; key: string; end?: string }
  | { type: 'range'; key: string; options?: RangeOptions };

export interface TxnRequest {
  compare?: Compare[];
  success?: Op[];
  failure?: Op[];
}

export type OpResult =
  | { type: 'put'; prev?: KeyValue }
  | { type: 'delete'; deleted: number; prev: KeyValue[] }
  | { type: 'range'; result: RangeResult };

export interface TxnResult {
  succeeded: boolean;
  /** Store revision after the transaction (unchanged when it wrote nothing). */
  revision: number;
  results: OpResult[];
}

export interface WatchEvent {
  type: 'put' | 'delete';
  /** For puts: the key-value after the write. For deletes: key, modRevision = the delete's revision, empty value. */
  kv: KeyValue;
  /** The key-value before this event, if the key existed. */
  prev?: KeyValue;
}

export interface WatchOptions {
  /** Exclusive end of the watched range (see RangeOptions.end); omitted: only `key`. */
  end?: string;
  /** Deliver events with modRevision >= startRevision (0/omitted: only future events). */
  startRevision?: number;
}

/** Events are delivered in revision order, grouped by revision (all events of one transaction together). */
export type WatchListener = (events: WatchEvent[], revision: number) => void;

export interface Watch {
  /** Stops the watch; no listener call happens after close returns. */
  close(): void;
}

export interface Store {
  /** Name of the backend, for logs and metrics ("sqlite", "etcd"). */
  readonly backend: string;
  /** Current revision (a quorum read on distributed backends). */
  currentRevision(): Promise<number>;
  /** Revision at or below which history has been compacted (0 if never). */
  compactedRevision(): Promise<number>;

  get(key: string, options?: Omit<RangeOptions, 'end'>): Promise<KeyValue | undefined>;
  range(key: string, options?: RangeOptions): Promise<RangeResult>;
  put(key: string, value: string, options?: { lease?: number }): Promise<{ revision: number; prev?: KeyValue }>;
  delete(key: string, options?: { end?: string }): Promise<{ revision: number; deleted: number; prev: KeyValue[] }>;
  txn(request: TxnRequest): Promise<TxnResult>;

  /**
   * Streams changes. With `startRevision` at or below the compacted revision the watch fails
   * with `CompactedError` through `onError` (and nothing is delivered).
   */
  watch(key: string, options: WatchOptions, listener: WatchListener, onError?: (err: Error) => void): Watch;

  /**
   * Backends whose watches lag their writes (etcd): one quorum read of [key, end) giving the
   * store revision, the number of keys and the newest modRevision among them (0 when none). A
   * watch cache of that range is current once it reflects that modRevision and holds that many
   * keys: after the newest put only deletes can have happened. Absent where watches never lag.
   */
  rangeStat?(key: string, end: string): Promise<RangeStat>;

  /** Discards history at or below `revision`; reads and watches from there throw `CompactedError`. */
  compact(revision: number): Promise<void>;

  /** Grants a lease; keys put with it are deleted when it expires or is revoked. Returns its id (> 0). */
  grantLease(ttlSeconds: number): Promise<number>;
  /** Renews a lease to its full TTL; throws `LeaseNotFoundError` if it expired or never existed. */
  keepAlive(lease: number): Promise<{ ttlSeconds: number }>;
  /** Revokes a lease, deleting its keys in one revision. */
  revokeLease(lease: number): Promise<void>;
  /** Remaining TTL in seconds, -1 if the lease does not exist. */
  leaseTimeToLive(lease: number): Promise<number>;

  /** Space used against the store's quota, and the NOSPACE alarm if raised. Absent where the backend keeps its own (etcd). */
  space?(): StoreSpace;

  close(): Promise<void>;
}

export interface StoreSpace {
  /** Bytes the database holds (pages in use, free pages not counted). */
  usedBytes: number;
  /** Past this the store accepts only deletes and compaction. */
  quotaBytes: number;
  /** Size of the database file on disk (free pages included, until they are vacuumed). */
  fileBytes: number;
  /** Set while the store is read-only except for deletes and compaction. */
  alarm?: NoSpaceAlarm;
}

export interface NoSpaceAlarm {
  /** What ran out and what to do, for /readyz and the 503 of every refused write. */
  message: string;
  since: Date;
}

export class StoreError extends Error {
  override name = 'StoreError';
}

export class CompactedError extends StoreError {
  override name = 'CompactedError';
  constructor(
    readonly requestedRevision: number,
    readonly compactedRevision: number,
  ) {
    super(`revision ${requestedRevision} has been compacted (compacted through ${compactedRevision})`);
  }
}

export class FutureRevisionError extends StoreError {
  override name = 'FutureRevisionError';
  constructor(
    readonly requestedRevision: number,
    readonly currentRevision: number,
  ) {
    super(`revision ${requestedRevision} is in the future (current revision ${currentRevision})`);
  }
}

export class LeaseNotFoundError extends StoreError {
  override name = 'LeaseNotFoundError';
  constructor(readonly lease: number) {
    super(`lease ${lease} not found`);
  }
}

/** The store cannot be reached or cannot commit now (e.g. etcd lost quorum); retry later. */
export class StoreUnavailableError extends StoreError {
  override name = 'StoreUnavailableError';
}

/**
 * The store is out of space (the NOSPACE alarm): it refuses puts and lease grants until usage is
 * back under its quota, but deletes and compaction go on so space can be freed.
 */
export class NoSpaceError extends StoreUnavailableError {
  override name = 'NoSpaceError';
}

/** The store file cannot be used as it is; the message says what is wrong and what to do. */
export class CorruptStoreError extends StoreError {
  override name = 'CorruptStoreError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(
      `store file ${path} is corrupt: ${problem}. Move it away, then restore a backup ("drover restore FILE" with a file "drover backup" wrote) ` +
        'or start again to begin an empty cluster (drover server --init-store moves it aside for you)',
    );
  }
}

/** Smallest key greater than every key with this prefix (etcd's prefix range end). */
export function prefixEnd(prefix: string): string {
  if (prefix === '') return '\0';
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}
