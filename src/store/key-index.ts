// The in-memory MVCC key index, as etcd's treeIndex: for every key, its live key-value (the store
// gives it a LoggedKeyValue, whose value stays in the log row: puts and revision compares need no
// SQL, a value is read when asked) and the revisions and log row ids of its retained rows, so a
// read at an older revision knows which row to fetch. The log table then needs no key index: on
// disk, writes only append.

import { SortedKeySet } from './sorted-keys.js';
import type { KeyValue } from './store.js';

interface KeyRecord {
  /** Live state; undefined while the latest retained row is a tombstone. */
  kv: KeyValue | undefined;
  /** Retained rows, oldest first, as (revision, row id) pairs; a tombstone's row id is negated. */
  rows: number[];
}

/** What a key was at some revision: its key-value, the id of the log row holding it, or nothing. */
export type KeyAt = KeyValue | number | undefined;

export class KeyIndex {
  private readonly records = new Map<string, KeyRecord>();
  private readonly keys = new SortedKeySet();

  /** Live key-value of `key`. */
  get(key: string): KeyValue | undefined {
    return this.records.get(key)?.kv;
  }

  /** Log row id of the live key-value of `key`, 0 if the key is not live. */
  liveRowId(key: string): number {
    const record = this.records.get(key);
    return record?.kv ? record.rows[record.rows.length - 1]! : 0;
  }

  *live(): IterableIterator<KeyValue> {
    for (const record of this.records.values()) if (record.kv) yield record.kv;
  }

  put(kv: KeyValue, rowId: number): void {
    const record = this.recordFor(kv.key);
    record.kv = kv;
    record.rows.push(kv.modRevision, rowId);
  }

  tombstone(key: string, revision: number, rowId: number): void {
    const record = this.recordFor(key);
    record.kv = undefined;
    record.rows.push(revision, -rowId);
  }

  /** Undoes the latest put or tombstone of `key` (a failed commit), restoring `previous`. */
  revert(key: string, previous: KeyValue | undefined): void {
    const record = this.records.get(key);
    if (!record) return;
    record.rows.length -= 2;
    record.kv = previous;
    if (record.rows.length === 0) this.forget(key);
  }

  /** `key` as of `revision`; the caller has checked that `revision` is not compacted. */
  at(key: string, revision: number): KeyAt {
    const record = this.records.get(key);
    if (!record) return undefined;
    const rows = record.rows;
    for (let i = rows.length - 2; i >= 0; i -= 2) {
      if (rows[i]! > revision) continue;
      const rowId = rows[i + 1]!;
      if (rowId < 0) return undefined;
      return i === rows.length - 2 && record.kv ? record.kv : rowId;
    }
    return undefined;
  }

  /** Visits keys with retained rows in [start, end) in order (`end` undefined: unbounded) until `visit` returns false. */
  forEachKey(start: string, end: string | undefined, visit: (key: string) => boolean): void {
    this.keys.forEachInRange(start, end, visit);
  }

  /**
   * Compaction of one log row at or below the compacted revision, applied in log order: the row it
   * superseded is dropped, and a tombstone drops itself — the same rows the SQL chunk deletes.
   */
  compactRow(key: string, revision: number, isTombstone: boolean): void {
    const record = this.records.get(key);
    if (!record) return;
    const rows = record.rows;
    if (rows.length > 0 && rows[0]! < revision) rows.splice(0, 2);
    if (isTombstone && rows[0] === revision) rows.splice(0, 2);
    if (rows.length === 0) this.forget(key);
  }

  private recordFor(key: string): KeyRecord {
    let record = this.records.get(key);
    if (!record) {
      record = { kv: undefined, rows: [] };
      this.records.set(key, record);
      this.keys.add(key);
    }
    return record;
  }

  private forget(key: string): void {
    this.records.delete(key);
    this.keys.delete(key);
  }
}
