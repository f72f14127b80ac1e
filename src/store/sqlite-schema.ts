// The SQLite layout, kine-style: `kv` is an append-only log with one row per key write; a key's
// current state is its latest row. `prev_id` points at the live row a write superseded, so
// compaction deletes superseded rows by walking only the rows written since the last one.
//
// There is deliberately no index on (key, rev): which rows belong to a key lives in memory
// (key-index.ts), as in etcd. With concurrent writers touching scattered keys, that index
// rewrote one page per key per commit and cut throughput about 3x.

import Database from 'better-sqlite3';
import { StoreError } from './store.js';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  id INTEGER PRIMARY KEY,        -- assigned by the writer, in revision order, never reused
  rev INTEGER NOT NULL,          -- store revision of the write; one per transaction
  key TEXT NOT NULL,
  create_rev INTEGER NOT NULL,
  prev_id INTEGER NOT NULL,      -- id of the live row this write superseded, 0 if none
  version INTEGER NOT NULL,
  lease INTEGER NOT NULL,
  value TEXT NOT NULL,
  deleted INTEGER NOT NULL       -- 1 for a tombstone
);
CREATE TABLE IF NOT EXISTS lease (id INTEGER PRIMARY KEY, ttl REAL NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

export type Db = Database.Database;

/**
 * Holds an exclusive SQLite lock on `<path>-lock` for the life of the store: a second writer on
 * the same file would serve from a stale in-memory index. The OS drops the lock if the process
 * dies, so a kill -9 leaves nothing to clean up.
 */
export function lockStoreFile(path: string): Db {
  const lock = new Database(`${path}-lock`, { timeout: 0 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (err) {
    lock.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new StoreError(`store file "${path}" is in use by another store; stop the other drover server or use another data dir`);
    }
    throw err;
  }
  return lock;
}

/**
 * Opens the writer connection: WAL, fsync on every commit, checkpoints left to the checkpointer.
 * Writes nothing to a store that is already set up, so it opens on a full disk too.
 */
export function openDatabase(path: string, options: { isNew: boolean }): Db {
  const db = new Database(path);
  try {
    // Only takes effect before the first table: an older file is converted by sqlite-vacuum.ts.
    if (options.isNew) db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    // FULL: an acknowledged commit survives kill -9 and power loss.
    db.pragma('synchronous = FULL');
    // Inline checkpoints stall every write; the checkpointer worker runs them instead.
    db.pragma('wal_autocheckpoint = 0');
    // Keep a reset WAL file from staying at its high-water mark after a burst.
    db.pragma('journal_size_limit = 67108864');
    db.pragma('cache_size = -32768');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new StoreError(`store file "${path}" has schema version ${version}, newer than this drover supports (${SCHEMA_VERSION}); upgrade drover`);
    }
    db.exec(SCHEMA);
    if (version !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export interface LogRow {
  id: number;
  rev: number;
  key: string;
  create_rev: number;
  version: number;
  lease: number;
  value: string;
  deleted: number;
}

export interface HistoryRow extends LogRow {
  p_rev: number | null;
  p_create_rev: number | null;
  p_version: number | null;
  p_lease: number | null;
  p_value: string | null;
}

const ROW = 'id, rev, key, create_rev, version, lease, value, deleted';

export function prepareStatements(db: Db) {
  return {
    insertRow: db.prepare<[number, number, string, number, number, number, number, string, number]>(
      'INSERT INTO kv (id, rev, key, create_rev, prev_id, version, lease, value, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    allRows: db.prepare<[], LogRow>(`SELECT ${ROW} FROM kv ORDER BY id`),
    lastRow: db.prepare<[], { id: number; rev: number }>('SELECT id, rev FROM kv ORDER BY id DESC LIMIT 1'),
    rowById: db.prepare<[number], LogRow>(`SELECT ${ROW} FROM kv WHERE id = ?`),
    valueById: db.prepare<[number], string>('SELECT value FROM kv WHERE id = ?').pluck(),
    /** The first row at or after an id: ids have gaps once compaction ran. */
    rowAtOrAfter: db.prepare<[number], { id: number; rev: number }>('SELECT id, rev FROM kv WHERE id >= ? ORDER BY id LIMIT 1'),
    historyPage: db.prepare<[number, number], HistoryRow>(
      `SELECT r.id, r.rev, r.key, r.create_rev, r.version, r.lease, r.value, r.deleted,
              p.rev AS p_rev, p.create_rev AS p_create_rev, p.version AS p_version, p.lease AS p_lease, p.value AS p_value
         FROM kv r LEFT JOIN kv p ON p.id = r.prev_id
        WHERE r.id >= ? ORDER BY r.id LIMIT ?`,
    ),

    compactionRows: db.prepare<[number, number], { key: string; rev: number; deleted: number }>(
      'SELECT key, rev, deleted FROM kv WHERE id > ? AND id <= ? ORDER BY id',
    ),
    // One compaction chunk: every row superseded by a row in (lo, hi], plus the tombstones in it.
    // A tombstone goes in the same statement as the row it superseded, so a reader between
    // chunks never sees a deleted key come back.
    compactChunk: db.prepare<[number, number, number, number]>(
      `DELETE FROM kv WHERE id IN (
         SELECT prev_id FROM kv WHERE id > ? AND id <= ? AND prev_id > 0
         UNION ALL
         SELECT id FROM kv WHERE id > ? AND id <= ? AND deleted = 1)`,
    ),

    leases: db.prepare<[], { id: number; ttl: number }>('SELECT id, ttl FROM lease'),
    insertLease: db.prepare<[number, number]>('INSERT INTO lease (id, ttl) VALUES (?, ?)'),
    deleteLease: db.prepare<[number]>('DELETE FROM lease WHERE id = ?'),

    getMeta: db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?'),
    setMeta: db.prepare<[string, number]>(
      'INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    ),

    // Pages in use: what the database holds, free pages aside (they are reused before the file grows).
    pageCount: db.prepare<[], number>('PRAGMA page_count').pluck(),
    freePageCount: db.prepare<[], number>('PRAGMA freelist_count').pluck(),

    begin: db.prepare('BEGIN'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;

export function readMeta(stmts: Statements, name: string): number {
  return stmts.getMeta.get(name)?.value ?? 0;
}
