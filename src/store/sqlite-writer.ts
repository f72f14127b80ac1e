// The single writer behind group commit: applies a batch of queued writes in one SQLite
// transaction. Each transaction's compares are evaluated on their own against the in-memory index
// as updated by the earlier ones in the batch, so one failed compare does not abort the others.
// Puts and compares need no SQL reads: the key index answers them. On disk, every write appends.

import { compareHolds } from './compare.js';
import type { CommittedBatch, Outcome } from './group-commit.js';
import type { KeyIndex } from './key-index.js';
import { isSingleKey, isUnbounded } from './key-range.js';
import type { LeaseTable } from './leases.js';
import { LoggedKeyValue } from './logged-key-value.js';
import { valueReader } from './sqlite-log.js';
import type { SqliteRangeReader } from './sqlite-range.js';
import type { Db, Statements } from './sqlite-schema.js';
import { ROW_OVERHEAD_BYTES, type SpaceQuota } from './sqlite-quota.js';
import { LeaseNotFoundError, NoSpaceError, StoreError, StoreUnavailableError, type KeyValue, type Op, type OpResult, type TxnRequest, type TxnResult, type WatchEvent } from './store.js';
import type { RevisionEvents } from './watch-hub.js';

export type WriteItem =
  | { kind: 'txn'; request: TxnRequest }
  | { kind: 'grantLease'; ttlSeconds: number }
  | { kind: 'revokeLease'; lease: number };

export interface SqliteWriterOptions {
  db: Db;
  stmts: Statements;
  /** Key-values in it are frozen and shared with readers and watchers. */
  index: KeyIndex;
  leases: LeaseTable;
  reader: SqliteRangeReader;
  /** Admits every write that adds data (puts, lease grants); deletes always go through. */
  quota: SpaceQuota;
  publish(revision: number, events: WatchEvent[]): void;
  /** The revision and the highest log row id the log holds. */
  revision: number;
  lastRowId: number;
}

export class SqliteWriter {
  private rev: number;
  private nextId: number;
  private published: RevisionEvents[] = [];
  /** Reverts the index and lease table if the batch's SQL transaction fails. */
  private undo: Array<() => void> = [];
  private readonly db: Db;
  private readonly stmts: Statements;
  private readonly index: KeyIndex;
  private readonly leases: LeaseTable;
  private readonly reader: SqliteRangeReader;
  private readonly quota: SpaceQuota;
  private readonly publish: (revision: number, events: WatchEvent[]) => void;
  private readonly readValue: (rowId: number) => string;

  constructor(options: SqliteWriterOptions) {
    ({ db: this.db, stmts: this.stmts, index: this.index, leases: this.leases, reader: this.reader, quota: this.quota, publish: this.publish } = options);
    this.rev = options.revision;
    this.nextId = options.lastRowId + 1;
    this.readValue = valueReader(this.stmts);
  }

  /** Revision of the last write (committed, except inside `commit`). */
  get revision(): number {
    return this.rev;
  }

  /** Highest log row id written. */
  get lastRowId(): number {
    return this.nextId - 1;
  }

  commit(items: readonly WriteItem[]): CommittedBatch {
    const startRevision = this.rev;
    const startId = this.nextId;
    const published: RevisionEvents[] = (this.published = []);
    const outcomes: Outcome[] = [];
    this.stmts.begin.run();
    try {
      for (const item of items) outcomes.push(this.applyOne(item));
      this.stmts.commit.run();
    } catch (err) {
      if (this.db.inTransaction) this.stmts.rollback.run();
      for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!();
      this.rev = startRevision;
      this.nextId = startId;
      if (isDiskFull(err)) {
        this.quota.diskFull(`SQLite answered ${(err as { code: string }).code} on a commit`);
        throw new NoSpaceError(this.quota.currentAlarm!.message, { cause: err });
      }
      // Nothing of the batch was applied, and a retry may succeed.
      throw new StoreUnavailableError(`commit failed, nothing was written: ${(err as Error).message}`, { cause: err });
    } finally {
      this.undo = [];
      this.published = [];
    }
    return {
      outcomes,
      publish: () => {
        for (const { revision, events } of published) this.publish(revision, events);
      },
    };
  }

  private applyOne(item: WriteItem): Outcome {
    const idBefore = this.nextId;
    try {
      return { ok: true, value: this.apply(item) };
    } catch (err) {
      // Request errors are raised before an item writes; anything else fails the whole batch.
      if (!(err instanceof StoreError) || this.nextId !== idBefore) throw err;
      return { ok: false, error: err };
    }
  }

  private apply(item: WriteItem): unknown {
    switch (item.kind) {
      case 'txn':
        return this.applyTxn(item.request);
      case 'grantLease':
        return this.grantLease(item.ttlSeconds);
      case 'revokeLease':
        return this.revokeLease(item.lease);
    }
  }

  private applyTxn(request: TxnRequest): TxnResult {
    const succeeded = (request.compare ?? []).every((c) => compareHolds(this.index.get(c.key), c));
    const ops = (succeeded ? request.success : request.failure) ?? [];
    const putBytes = bytesPut(ops);
    if (putBytes > 0) this.quota.admit(putBytes);
    for (const op of ops) {
      if (op.type === 'put' && op.lease && !this.leases.has(op.lease)) throw new LeaseNotFoundError(op.lease);
      if (op.type === 'range') this.reader.checkRevision(op.options?.revision, this.rev);
    }
    const rev = this.rev + 1;
    const events: WatchEvent[] = [];
    const results: OpResult[] = [];
    for (const op of ops) {
      if (op.type === 'put') results.push(this.put(op.key, op.value, op.lease ?? 0, rev, events));
      else if (op.type === 'delete') results.push(this.deleteRange(op.key, op.end, rev, events));
      // A range after a write in the same transaction sees that write, as in etcd.
      else results.push({ type: 'range', result: this.reader.range(op.key, op.options ?? {}, events.length > 0 ? rev : this.rev) });
    }
    this.finishRevision(rev, events);
    return { succeeded, revision: this.rev, results };
  }

  private put(key: string, value: string, lease: number, rev: number, events: WatchEvent[]): OpResult {
    const prev = this.index.get(key);
    const kv: KeyValue = Object.freeze({
      key,
      value,
      createRevision: prev ? prev.createRevision : rev,
      modRevision: rev,
      version: prev ? prev.version + 1 : 1,
      lease,
    });
    const rowId = this.nextId++;
    this.stmts.insertRow.run(rowId, rev, key, kv.createRevision, this.index.liveRowId(key), kv.version, lease, value, 0);
    // The event carries the value (the watch cache keeps the string it was given); the index does not.
    this.index.put(new LoggedKeyValue(key, kv.createRevision, rev, kv.version, lease, rowId, this.readValue), rowId);
    this.changed(key, kv, prev);
    events.push(prev ? { type: 'put', kv, prev } : { type: 'put', kv });
    return prev ? { type: 'put', prev } : { type: 'put' };
  }

  private deleteRange(key: string, end: string | undefined, rev: number, events: WatchEvent[]): OpResult {
    const keys = isSingleKey(end) ? (this.index.get(key) ? [key] : []) : this.liveKeys(key, end);
    const prev = keys.map((k) => this.deleteKey(k, rev, events));
    return { type: 'delete', deleted: prev.length, prev };
  }

  private deleteKey(key: string, rev: number, events: WatchEvent[]): KeyValue {
    const prev = this.index.get(key)!;
    const rowId = this.nextId++;
    this.stmts.insertRow.run(rowId, rev, key, 0, this.index.liveRowId(key), 0, 0, '', 1);
    this.index.tombstone(key, rev, rowId);
    this.changed(key, undefined, prev);
    const kv: KeyValue = Object.freeze({ key, value: '', createRevision: 0, modRevision: rev, version: 0, lease: 0 });
    events.push({ type: 'delete', kv, prev });
    return prev;
  }

  /** Live keys in [start, end), sorted (collected first: deleting mutates the index). */
  private liveKeys(start: string, end: string | undefined): string[] {
    const keys: string[] = [];
    this.index.forEachKey(start, isUnbounded(end) ? undefined : end, (key) => {
      if (this.index.get(key)) keys.push(key);
      return true;
    });
    return keys;
  }

  private grantLease(ttlSeconds: number): number {
    this.quota.admit(ROW_OVERHEAD_BYTES);
    const id = this.leases.newId();
    this.stmts.insertLease.run(id, ttlSeconds);
    this.leases.add(id, ttlSeconds, Date.now());
    this.undo.push(() => this.leases.remove(id));
    return id;
  }

  /** Deletes every key of the lease in one revision (none if it has no keys), then the lease. */
  private revokeLease(id: number): void {
    const lease = this.leases.get(id);
    if (!lease) throw new LeaseNotFoundError(id);
    const rev = this.rev + 1;
    const events: WatchEvent[] = [];
    for (const key of [...lease.keys].sort()) this.deleteKey(key, rev, events);
    this.stmts.deleteLease.run(id);
    this.leases.remove(id);
    this.undo.push(() => this.leases.restore(lease));
    this.finishRevision(rev, events);
  }

  private finishRevision(rev: number, events: WatchEvent[]): void {
    // A transaction that changed nothing does not consume a revision (etcd does the same).
    if (events.length === 0) return;
    this.rev = rev;
    this.published.push({ revision: rev, events });
  }

  /** Moves the key between leases after the index changed, and records how to undo both. */
  private changed(key: string, next: KeyValue | undefined, prev: KeyValue | undefined): void {
    if (prev) this.leases.detach(key, prev.lease);
    if (next) this.leases.attach(key, next.lease);
    this.undo.push(() => {
      if (next) this.leases.detach(key, next.lease);
      this.index.revert(key, prev);
      if (prev) this.leases.attach(key, prev.lease);
    });
  }
}

/** What the puts among `ops` add to the log (0 for deletes and ranges: they may always run). */
function bytesPut(ops: readonly Op[]): number {
  let bytes = 0;
  for (const op of ops) if (op.type === 'put') bytes += op.key.length + op.value.length + ROW_OVERHEAD_BYTES;
  return bytes;
}

/** SQLite's answer when a write finds no room on the disk (ENOSPC). */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_FULL' || (typeof code === 'string' && code.startsWith('SQLITE_FULL_'));
}
