// Chunked compaction. Rows written since the last compaction, up to the target revision, are
// walked in id order a couple of thousand at a time; each chunk deletes the rows they superseded
// and the tombstones among them in one short transaction, drops the same rows from the key index,
// then yields to the event loop, so a large compaction never holds the server for long. The cursor
// is persisted with each chunk: a restart resumes where it stopped.

import type { KeyIndex } from './key-index.js';
import type { SqliteLog } from './sqlite-log.js';
import { readMeta, type Db, type Statements } from './sqlite-schema.js';
import { StoreError } from './store.js';

const CURSOR = 'compact_cursor';

export class SqliteCompactor {
  /** Highest row id whose superseded rows have been removed. */
  private cursor: number;
  private target = 0;
  private running: Promise<void> | undefined;
  private isStopped = false;
  private readonly deleteChunk: (lo: number, hi: number) => void;

  constructor(
    db: Db,
    private readonly stmts: Statements,
    private readonly log: SqliteLog,
    private readonly index: KeyIndex,
    /** Resolves when writing is allowed (writes are held while the WAL restarts). */
    private readonly whenWritable: () => Promise<void>,
    private readonly chunkRows = 2000,
  ) {
    this.cursor = readMeta(stmts, CURSOR);
    this.deleteChunk = db.transaction((lo: number, hi: number) => {
      stmts.compactChunk.run(lo, hi, lo, hi);
      stmts.setMeta.run(CURSOR, hi);
    });
  }

  /** Highest row id compaction has processed; ids are never reused below it. */
  get processedRowId(): number {
    return this.cursor;
  }

  /** Removes history through `revision` (already recorded as compacted); resolves when done. */
  compactThrough(revision: number): Promise<void> {
    if (this.isStopped) return Promise.reject(new StoreError('store is closed'));
    this.target = Math.max(this.target, revision);
    this.running ??= this.loop();
    return this.running;
  }

  /** Stops after the current chunk; a pending compaction rejects and resumes at the next open. */
  stop(): void {
    this.isStopped = true;
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        // Yield first: the caller holds `running` before any chunk runs, and no chunk runs inline.
        await new Promise((resolve) => setImmediate(resolve));
        await this.whenWritable();
        if (this.isStopped) throw new StoreError('store is closed');
        const last = this.log.firstIdAtOrAfter(this.target + 1) - 1;
        // Checked and cleared with no await in between, so a raised target is never missed.
        if (this.cursor >= last) return;
        this.compactChunk(this.cursor, Math.min(last, this.cursor + this.chunkRows));
      }
    } finally {
      this.running = undefined;
    }
  }

  private compactChunk(lo: number, hi: number): void {
    const rows = this.stmts.compactionRows.all(lo, hi);
    this.deleteChunk(lo, hi);
    for (const row of rows) this.index.compactRow(row.key, row.rev, row.deleted === 1);
    this.cursor = hi;
  }
}
