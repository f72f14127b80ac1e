// Reads of the log table: the whole of it once at open (the key index), then by row id: single
// rows for reads at older revisions, and the history scan that replays watch events. Row ids grow
// with revisions, so a revision is found by binary search over ids instead of a revision index
// that every write would have to maintain.

import type { KeyIndex } from './key-index.js';
import { LoggedKeyValue } from './logged-key-value.js';
import { isInRange } from './key-range.js';
import type { HistoryRow, LogRow, Statements } from './sqlite-schema.js';
import { CorruptStoreError, type KeyValue, type WatchEvent } from './store.js';
import type { RevisionEvents } from './watch-hub.js';

const HISTORY_PAGE_ROWS = 2000;

export function rowToKeyValue(row: LogRow): KeyValue {
  return { key: row.key, value: row.value, createRevision: row.create_rev, modRevision: row.rev, version: row.version, lease: row.lease };
}

/**
 * What is wrong with a log row read back from the file, if anything: quick_check finds damaged
 * pages but not a value of the wrong type in a column (SQLite's typing is by value).
 */
export function malformedRow(row: LogRow): string | undefined {
  if (typeof row.key !== 'string') return `log row ${row.id} has no valid key`;
  if (typeof row.value !== 'string') return `log row ${row.id} (key "${row.key}") has no valid value`;
  for (const field of ['rev', 'create_rev', 'version', 'lease', 'deleted'] as const) {
    if (!Number.isSafeInteger(row[field])) return `log row ${row.id} (key "${row.key}") has an invalid ${field}`;
  }
  return undefined;
}

/** Rebuilds the key index from the whole log, in order; returns the last row's id and revision. */
export function loadIndex(stmts: Statements, index: KeyIndex, path: string): { id: number; rev: number } {
  let last = { id: 0, rev: 0 };
  const readValue = valueReader(stmts);
  for (const row of stmts.allRows.iterate()) {
    const problem = malformedRow(row);
    if (problem) throw new CorruptStoreError(path, problem);
    if (row.deleted === 1) index.tombstone(row.key, row.rev, row.id);
    else index.put(new LoggedKeyValue(row.key, row.create_rev, row.rev, row.version, row.lease, row.id, readValue), row.id);
    last = row;
  }
  return { id: last.id, rev: last.rev };
}

/** Reads the value of a log row (see LoggedKeyValue). */
export function valueReader(stmts: Statements): (rowId: number) => string {
  return (rowId) => {
    const value = stmts.valueById.get(rowId);
    if (value === undefined) throw new Error(`log row ${rowId} is missing: the in-memory index and the log disagree`);
    return value;
  };
}

export class SqliteLog {
  constructor(
    private readonly stmts: Statements,
    /** Highest row id written so far. */
    private readonly lastRowId: () => number,
  ) {}

  keyValueAt(rowId: number): KeyValue {
    const row = this.stmts.rowById.get(rowId);
    if (!row) throw new Error(`log row ${rowId} is missing: the in-memory index and the log disagree`);
    return rowToKeyValue(row);
  }

  /** Smallest row id whose revision is >= `revision` (last id + 1 if none). */
  firstIdAtOrAfter(revision: number): number {
    let lo = 1;
    let hi = this.lastRowId() + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const row = this.stmts.rowAtOrAfter.get(mid);
      if (!row || row.rev >= revision) hi = mid;
      else lo = row.id + 1;
    }
    return lo;
  }

  /** Events of revisions [from, to] on keys in [key, end), grouped by revision, in order. */
  history(key: string, end: string | undefined, from: number, to: number): RevisionEvents[] {
    const out: RevisionEvents[] = [];
    let id = this.firstIdAtOrAfter(from);
    for (;;) {
      const rows = this.stmts.historyPage.all(id, HISTORY_PAGE_ROWS);
      for (const row of rows) {
        if (row.rev > to) return out;
        if (!isInRange(row.key, key, end)) continue;
        let last = out[out.length - 1];
        if (!last || last.revision !== row.rev) out.push((last = { revision: row.rev, events: [] }));
        last.events.push(historyEvent(row));
      }
      if (rows.length < HISTORY_PAGE_ROWS) return out;
      id = rows[rows.length - 1]!.id + 1;
    }
  }
}

function historyEvent(row: HistoryRow): WatchEvent {
  const prev: KeyValue | undefined =
    row.p_rev === null
      ? undefined
      : { key: row.key, value: row.p_value!, createRevision: row.p_create_rev!, modRevision: row.p_rev, version: row.p_version!, lease: row.p_lease! };
  const type = row.deleted === 1 ? 'delete' : 'put';
  const kv: KeyValue =
    type === 'delete' ? { key: row.key, value: '', createRevision: 0, modRevision: row.rev, version: 0, lease: 0 } : rowToKeyValue(row);
  return prev ? { type, kv, prev } : { type, kv };
}
