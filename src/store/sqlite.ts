// The embedded Store: one SQLite file (WAL, synchronous=FULL) holding a kine-style append-only log,
// an in-memory MVCC key index (etcd's treeIndex), group commit for every write, watches published
// synchronously after each commit (so when a write's promise resolves, every watcher has seen it),
// chunked background compaction followed by incremental vacuum, WAL checkpoints in a worker
// thread, and a space quota with etcd's NOSPACE alarm. A damaged file is refused before it is
// opened for writing.

import { statSync } from 'node:fs';
import { compareHolds } from './compare.js';
import { GroupCommitQueue } from './group-commit.js';
import { KeyIndex } from './key-index.js';
import { LeaseTable } from './leases.js';
import { SqliteCompactor } from './sqlite-compactor.js';
import { startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js';
import { loadIndex, SqliteLog } from './sqlite-log.js';
import { SpaceQuota } from './sqlite-quota.js';
import { SqliteRangeReader } from './sqlite-range.js';
import { openStoreFile, type OpenedStoreFile } from './sqlite-open.js';
import { prepareStatements, readMeta, type Db, type Statements } from './sqlite-schema.js';
import { SqliteVacuum } from './sqlite-vacuum.js';
import { isDiskFull, SqliteWriter, type WriteItem } from './sqlite-writer.js';
import {
  CompactedError,
  FutureRevisionError,
  LeaseNotFoundError,
  StoreError,
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  type Store,
  type StoreSpace,
  type TxnRequest,
  type TxnResult,
  type Watch,
  type WatchListener,
  type WatchOptions,
} from './store.js';
import { checkTxnRequest, hasWrites } from './txn-check.js';
import { WatchHub, type Logger } from './watch-hub.js';

export interface SqliteStoreOptions {
  /** Database file, e.g. `<dataDir>/state.db`. */
  path: string;
  /** Revisions of history kept by automatic compaction; 0 turns it off. Default 10,000. */
  historyRevisions?: number;
  /** How often the worker checkpoints the WAL. Default 1,000 ms. */
  checkpointIntervalMs?: number;
  /** WAL size at which writes pause briefly (reads go on) so the WAL can restart. Default 16 MiB. */
  walRestartBytes?: number;
  /** How often automatic compaction checks the history window. Default 5,000 ms. */
  compactionIntervalMs?: number;
  /** Bytes the database may hold before the NOSPACE alarm; default min(8 GiB, what it holds + free disk space − the reserve). */
  quotaBytes?: number;
  /** Size of the reserve file released when the disk fills; default 1/64 of the file system, 1 to 16 MiB. */
  reserveBytes?: number;
  /** How often a raised NOSPACE alarm compacts the history and checks whether it can clear. Default 1,000 ms. */
  spaceCheckIntervalMs?: number;
  logger?: Logger;
}

const COMPACTED = 'compacted';
const LEASE_CHECK_MS = 250;

const consoleLogger: Logger = { warn: (obj, msg) => console.warn(msg ?? '', obj) };

export class SqliteStore implements Store {
  readonly backend = 'sqlite';

  private readonly stmts: Statements;
  private readonly index = new KeyIndex();
  private readonly leases = new LeaseTable();
  private readonly log: SqliteLog;
  private readonly reader: SqliteRangeReader;
  private readonly writer: SqliteWriter;
  private readonly queue: GroupCommitQueue<WriteItem>;
  private readonly hub: WatchHub;
  private readonly compactor: SqliteCompactor;
  private readonly vacuum: SqliteVacuum;
  private readonly quota: SpaceQuota;
  private readonly checkpointer: Checkpointer;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly logger: Logger;
  private readonly db: Db;
  private readonly lock: Db;
  private readonly path: string;
  /** Whether the store file was created by this open (there was none). */
  readonly isNew: boolean;
  private compacted: number;
  private isClosed = false;
  private closing: Promise<void> | undefined;

  /**
   * Opens the store file, creating it if there is none (`isNew` then says so). A file that is there
   * but not a sound database (empty, cut short, damaged) is refused with CorruptStoreError, and
   * nothing is written beside it.
   */
  static open(options: SqliteStoreOptions): SqliteStore {
    const logger = options.logger ?? consoleLogger;
    return openStoreFile(options.path, { reserveBytes: options.reserveBytes, logger }, (file) => new SqliteStore(file, { ...options, logger }));
  }

  private constructor(file: OpenedStoreFile, options: SqliteStoreOptions & { logger: Logger }) {
    const db = file.db;
    this.db = db;
    this.lock = file.lock;
    this.isNew = file.isNew;
    this.path = options.path;
    this.logger = options.logger;
    this.stmts = prepareStatements(db);
    this.compacted = readMeta(this.stmts, COMPACTED);
    const last = loadIndex(this.stmts, this.index, this.path);
    this.loadLeases();

    this.log = new SqliteLog(this.stmts, () => this.writer.lastRowId);
    this.reader = new SqliteRangeReader(this.index, this.log, () => this.compacted);
    this.hub = new WatchHub(
      {
        currentRevision: () => this.writer.revision,
        compactedRevision: () => this.compacted,
        history: (key, end, from, to) => this.log.history(key, end, from, to),
      },
      this.logger,
    );
    this.compactor = new SqliteCompactor(db, this.stmts, this.log, this.index, () => this.queue.whenReleased());
    this.vacuum = new SqliteVacuum(db, () => this.queue.whenReleased(), this.logger);
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    this.quota = new SpaceQuota({
      path: options.path,
      quotaBytes: options.quotaBytes,
      reserve: file.reserve,
      isDiskFull: file.isDiskFull,
      measureUsedBytes: () => (this.stmts.pageCount.get()! - this.stmts.freePageCount.get()!) * pageSize,
      logger: this.logger,
    });
    // Compaction may have removed the newest rows (tombstones), but never rows above the
    // compacted revision, nor ids above its cursor: neither goes back.
    this.writer = new SqliteWriter({
      db,
      stmts: this.stmts,
      index: this.index,
      leases: this.leases,
      reader: this.reader,
      quota: this.quota,
      publish: (rev, events) => this.hub.publish(rev, events),
      revision: Math.max(last.rev, this.compacted),
      lastRowId: Math.max(last.id, this.compactor.processedRowId),
    });
    this.queue = new GroupCommitQueue((items) => this.writer.commit(items));

    this.checkpointer = startCheckpointer({
      path: options.path,
      intervalMs: options.checkpointIntervalMs ?? 1000,
      restartBytes: options.walRestartBytes ?? 16 * 1024 * 1024,
      hold: () => this.queue.hold(),
      release: () => this.queue.release(),
      onFailure: (err) => {
        this.logger.warn({ err }, 'WAL checkpoint worker failed; checkpointing inline from now on');
        if (!this.isClosed) db.pragma('wal_autocheckpoint = 1000');
      },
      onCheckpointFailed: (code, message, attempt) => {
        // Once at warn: it is retried every interval, and a full disk can last.
        if (attempt === 1) this.logger.warn({ code, message }, 'WAL checkpoint failed; retrying it every interval until it succeeds');
        else this.logger.debug?.({ code, message, attempt }, 'WAL checkpoint failed again');
        this.quota.checkpointFailed(isDiskFull({ code }), message);
      },
      onRecovered: (failedAttempts) => {
        this.logger.info?.({ failedAttempts }, 'WAL checkpoint succeeded again');
        this.quota.checkpointRecovered();
      },
    });
    this.startTimers(options.historyRevisions ?? 10_000, options.compactionIntervalMs ?? 5000, options.spaceCheckIntervalMs ?? 1000);
    // Finish a compaction that a restart interrupted.
    if (this.compacted > 0) this.compactor.compactThrough(this.compacted).then(() => this.vacuum.reclaim(), () => {});
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.writer.revision;
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.compacted;
  }

  async get(key: string, options: Omit<RangeOptions, 'end'> = {}): Promise<KeyValue | undefined> {
    const { kvs } = await this.range(key, { ...options, end: undefined, countOnly: false });
    return kvs[0];
  }

  async range(key: string, options: RangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    return this.reader.range(key, options, this.writer.revision);
  }

  async put(key: string, value: string, options: { lease?: number } = {}): Promise<{ revision: number; prev?: KeyValue }> {
    const op = options.lease ? { type: 'put' as const, key, value, lease: options.lease } : { type: 'put' as const, key, value };
    const { revision, results } = await this.txn({ success: [op] });
    const prev = results[0]?.type === 'put' ? results[0].prev : undefined;
    return prev ? { revision, prev } : { revision };
  }

  async delete(key: string, options: { end?: string } = {}): Promise<{ revision: number; deleted: number; prev: KeyValue[] }> {
    const { revision, results } = await this.txn({ success: [{ type: 'delete', key, end: options.end }] });
    const result = results[0]!;
    return result.type === 'delete' ? { revision, deleted: result.deleted, prev: result.prev } : { revision, deleted: 0, prev: [] };
  }

  async txn(request: TxnRequest): Promise<TxnResult> {
    this.checkOpen();
    checkTxnRequest(request);
    if (hasWrites(request)) return this.queue.submit<TxnResult>({ kind: 'txn', request });
    // Read-only: answered now, at the last committed revision.
    const revision = this.writer.revision;
    const succeeded = (request.compare ?? []).every((c) => compareHolds(this.index.get(c.key), c));
    const ops = (succeeded ? request.success : request.failure) ?? [];
    const results = ops.map((op) => ({
      type: 'range' as const,
      result: this.reader.range(op.key, op.type === 'range' ? (op.options ?? {}) : {}, revision),
    }));
    return { succeeded, revision, results };
  }

  watch(key: string, options: WatchOptions, listener: WatchListener, onError?: (err: Error) => void): Watch {
    if (this.isClosed) {
      queueMicrotask(() => onError?.(new StoreError('store is closed')));
      return { close() {} };
    }
    return this.hub.add(key, options, listener, onError);
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    const current = this.writer.revision;
    if (revision > current) throw new FutureRevisionError(revision, current);
    if (revision <= this.compacted) throw new CompactedError(revision, this.compacted);
    // Recorded first: from here reads and watches at or below `revision` fail, so no reader can
    // observe the rows the chunks are removing.
    this.stmts.setMeta.run(COMPACTED, revision);
    this.compacted = revision;
    await this.compactor.compactThrough(revision);
    void this.vacuum.reclaim();
  }

  space(): StoreSpace {
    this.checkOpen();
    const usedBytes = this.quota.measure();
    const alarm = this.quota.currentAlarm;
    return { usedBytes, quotaBytes: this.quota.quotaBytes, fileBytes: statSync(this.path).size, ...(alarm ? { alarm } : {}) };
  }

  async grantLease(ttlSeconds: number): Promise<number> {
    this.checkOpen();
    if (!(Number.isFinite(ttlSeconds) && ttlSeconds > 0)) throw new StoreError(`lease TTL must be a positive number of seconds, got ${ttlSeconds}`);
    return this.queue.submit<number>({ kind: 'grantLease', ttlSeconds });
  }

  async keepAlive(lease: number): Promise<{ ttlSeconds: number }> {
    this.checkOpen();
    const now = Date.now();
    const found = this.leases.get(lease);
    if (!this.leases.isAlive(found, now)) throw new LeaseNotFoundError(lease);
    found.expiresAtMs = now + found.ttlSeconds * 1000;
    return { ttlSeconds: found.ttlSeconds };
  }

  async revokeLease(lease: number): Promise<void> {
    this.checkOpen();
    await this.queue.submit<void>({ kind: 'revokeLease', lease });
  }

  async leaseTimeToLive(lease: number): Promise<number> {
    this.checkOpen();
    const now = Date.now();
    const found = this.leases.get(lease);
    if (!this.leases.isAlive(found, now)) return -1;
    return Math.ceil((found.expiresAtMs - now) / 1000);
  }

  /** Commits queued writes, then stops background work and closes the file. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.isClosed = true;
    this.queue.flushAll();
    this.hub.closeAll();
    for (const timer of this.timers) clearInterval(timer);
    this.compactor.stop();
    this.vacuum.stop();
    await this.checkpointer.stop();
    this.db.close();
    this.lock.close();
  }

  private checkOpen(): void {
    if (this.isClosed) throw new StoreError('store is closed');
  }

  private startTimers(historyRevisions: number, compactionIntervalMs: number, spaceCheckIntervalMs: number): void {
    const expireLeases = () => {
      for (const lease of this.leases.expired(Date.now())) {
        lease.isExpiring = true;
        this.queue.submit({ kind: 'revokeLease', lease: lease.id }).catch((err) => {
          if (err instanceof LeaseNotFoundError || this.isClosed) return;
          lease.isExpiring = false; // retried on the next check
          this.logger.warn({ err, lease: lease.id }, 'revoking an expired lease failed');
        });
      }
    };
    this.timers.push(setInterval(expireLeases, LEASE_CHECK_MS));
    const compactTo = (target: number) => {
      if (target <= this.compacted) return Promise.resolve();
      return this.compact(target).catch((err) => {
        if (!this.isClosed) this.logger.warn({ err, target }, 'automatic compaction failed');
      });
    };
    if (historyRevisions > 0) this.timers.push(setInterval(() => void compactTo(this.writer.revision - historyRevisions), compactionIntervalMs));
    // While the alarm lasts no history is kept, so each delete frees its space at once.
    const checkSpace = () => {
      if (this.quota.isAlarmed) void compactTo(this.writer.revision).then(() => this.quota.recheck());
    };
    this.timers.push(setInterval(checkSpace, spaceCheckIntervalMs));
    for (const timer of this.timers) timer.unref();
  }

  private loadLeases(): void {
    const now = Date.now();
    for (const { id, ttl } of this.stmts.leases.all()) this.leases.add(id, ttl, now);
    for (const kv of this.index.live()) this.leases.attach(kv.key, kv.lease);
  }
}
