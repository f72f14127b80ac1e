// Opening a store file, in the order that keeps a bad one untouched: the file's own bytes first
// (nothing created), then the lock, room on the disk, SQLite's integrity check, and only then the
// writer connection. A damaged file is refused with CorruptStoreError and nothing is left beside it.

import { existsSync, rmSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { defaultReserveBytes, ReserveFile } from './reserve-file.js';
import { checkIntegrity, checkStoreFile, isCorruption } from './sqlite-file-check.js';
import { lockStoreFile, openDatabase, type Db } from './sqlite-schema.js';
import { convertToIncrementalVacuum } from './sqlite-vacuum.js';
import { CorruptStoreError } from './store.js';
import type { Logger } from './watch-hub.js';

export interface OpenedStoreFile {
  db: Db;
  /** Held for the life of the store (see lockStoreFile). */
  lock: Db;
  reserve: ReserveFile;
  /** There was no store file: this open created it. */
  isNew: boolean;
  /** The disk had less free space than the reserve (which was released for the open). */
  isDiskFull: boolean;
}

/**
 * Opens `path` (creating it if there is none) and hands it to `load`, which builds the store; a
 * damage `load` finds (a malformed row) is reported like the file's own, and either way the
 * connections are closed if it throws.
 */
export function openStoreFile<T>(path: string, options: { reserveBytes?: number; logger: Logger }, load: (file: OpenedStoreFile) => T): T {
  const isNew = checkStoreFile(path) === 'absent';
  const hadLockFile = existsSync(`${path}-lock`);
  const lock = lockStoreFile(path);
  let db: Db | undefined;
  try {
    const reserve = new ReserveFile(`${path}-reserve`, options.reserveBytes ?? defaultReserveBytes(dirname(path)));
    // On a full disk SQLite cannot even open the file (its -shm needs room): that is what the reserve is for.
    const { bavail, bsize } = statfsSync(dirname(path));
    const isDiskFull = bavail * bsize < reserve.sizeBytes;
    if (isDiskFull) reserve.release();
    if (!isNew) checkIntegrity(path);
    db = openDatabase(path, { isNew });
    if (!isNew && !isDiskFull) convertToIncrementalVacuum(db, path, options.logger);
    return load({ db, lock, reserve, isNew, isDiskFull });
  } catch (err) {
    db?.close();
    lock.close();
    if (!isCorruption(err)) throw err;
    if (!hadLockFile) rmSync(`${path}-lock`, { force: true });
    throw err instanceof CorruptStoreError ? err : new CorruptStoreError(path, `SQLite cannot read it: ${(err as Error).message}`);
  }
}
