// Gives the file space of compacted rows back to the file system. Compaction only frees pages
// inside the file (a store once filled to 1.6 GB stayed 1.6 GB with nothing in it); with
// auto_vacuum=INCREMENTAL SQLite keeps maps of its pages, so `PRAGMA incremental_vacuum(N)` can
// move N pages from the end of the file into free slots and cut the end off. Run in short steps
// after each compaction, each its own transaction with the event loop turning in between, as the
// compactor does. In WAL mode the file shrinks when the checkpointer next completes a checkpoint.

import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { sizeText } from './sqlite-quota.js';
import type { Db } from './sqlite-schema.js';
import type { Logger } from './watch-hub.js';

const INCREMENTAL = 2;
/** Free pages below which a vacuum is not worth starting (1 MiB of 4 KiB pages). */
const MIN_FREE_PAGES = 256;

export class SqliteVacuum {
  private running: Promise<void> | undefined;
  private isStopped = false;
  private readonly freePages: () => number;
  private readonly step: () => unknown;

  constructor(
    db: Db,
    /** Resolves when writing is allowed (writes are held while the WAL restarts). */
    private readonly whenWritable: () => Promise<void>,
    private readonly logger: Logger,
    stepPages = 128,
  ) {
    const isIncremental = (db.pragma('auto_vacuum', { simple: true }) as number) === INCREMENTAL;
    this.freePages = isIncremental ? () => db.pragma('freelist_count', { simple: true }) as number : () => 0;
    // The pragma frees one page per step of its statement: pragma() runs it to the end.
    this.step = () => db.pragma(`incremental_vacuum(${stepPages})`);
  }

  /** Starts reclaiming free pages if there are enough of them; resolves when none are left (or it stopped). */
  reclaim(): Promise<void> {
    if (this.isStopped || this.freePages() < MIN_FREE_PAGES) return this.running ?? Promise.resolve();
    this.running ??= this.loop();
    return this.running;
  }

  stop(): void {
    this.isStopped = true;
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        await new Promise((resolve) => setImmediate(resolve));
        await this.whenWritable();
        if (this.isStopped || this.freePages() === 0) return;
        this.step();
      }
    } catch (err) {
      if (!this.isStopped) this.logger.warn({ err }, 'incremental vacuum failed; it runs again after the next compaction');
    } finally {
      this.running = undefined;
    }
  }
}

/**
 * Makes a store file written without auto_vacuum (before drover reclaimed space) able to shrink:
 * one VACUUM, which rewrites the database. It is atomic (a failure or a crash leaves the file as it
 * was) but needs room for a copy of the data in the WAL and in a temporary file, so it is skipped,
 * and tried again at the next start, when the disk lacks it.
 */
export function convertToIncrementalVacuum(db: Db, path: string, logger: Logger): void {
  if ((db.pragma('auto_vacuum', { simple: true }) as number) === INCREMENTAL) return;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  const usedBytes = (pages - (db.pragma('freelist_count', { simple: true }) as number)) * pageSize;
  const { bavail, bsize } = statfsSync(dirname(path));
  const neededBytes = 2 * usedBytes + 64 * 1024 * 1024;
  if (bavail * bsize < neededBytes) {
    logger.warn({ path, usedBytes, freeBytes: bavail * bsize }, `store file is not converted to incremental vacuum yet: it needs ${sizeText(neededBytes)} free; tried again at the next start`);
    return;
  }
  const started = Date.now();
  try {
    db.pragma('auto_vacuum = INCREMENTAL');
    db.exec('VACUUM');
  } catch (err) {
    logger.warn({ err, path }, 'converting the store file to incremental vacuum failed (nothing changed); tried again at the next start');
    return;
  }
  logger.info?.(
    { path, bytesBefore: pages * pageSize, bytesAfter: (db.pragma('page_count', { simple: true }) as number) * pageSize, ms: Date.now() - started },
    'converted the store file to incremental vacuum (once): space freed by compaction now goes back to the file system',
  );
}
