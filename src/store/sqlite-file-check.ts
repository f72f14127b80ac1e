// Refuses a store file that is not a sound SQLite database before anything opens it for writing:
// a read-write open of a damaged file creates a WAL beside it, may write into it, and fails later
// with whatever error the damage happens to cause. First the file's own bytes (no SQLite: nothing
// is created), then SQLite's quick_check through a read-only connection.
//
// better-sqlite3 is built without URI filenames (SQLITE_USE_URI=0), so SQLite's `immutable=1`
// open is not available, and a read-only connection to a WAL database creates -wal and -shm when
// they are missing (measured). So the integrity check runs with the store lock held (no other
// store uses those files) and removes the ones it created when it refuses the file.

import { closeSync, existsSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CorruptStoreError } from './store.js';

const HEADER_BYTES = 100;
const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const WAL_HEADER_BYTES = 32;
/** quick_check reports at most this many problems; the first few say enough. */
const MAX_PROBLEMS = 3;

/** 'absent': no store yet, a new one may be created; 'present': the header is sound. Throws CorruptStoreError. */
export function checkStoreFile(path: string): 'absent' | 'present' {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new CorruptStoreError(path, 'it is not a regular file');
    size = stat.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const walBytes = fileSize(`${path}-wal`);
    if (walBytes > WAL_HEADER_BYTES) throw new CorruptStoreError(path, `the file is missing but its write-ahead log ${path}-wal (${walBytes} bytes) is there`);
    return 'absent';
  }
  if (size === 0) throw new CorruptStoreError(path, 'the file is empty (0 bytes)');
  const problem = headerProblem(readHeader(path), size, fileSize(`${path}-wal`) > WAL_HEADER_BYTES);
  if (problem) throw new CorruptStoreError(path, problem);
  return 'present';
}

/** What is wrong with a database file from its first bytes and its size, if anything. */
export function headerProblem(header: Buffer, size: number, hasWalFrames: boolean): string | undefined {
  const start = header.subarray(0, MAGIC.length);
  if (!start.equals(MAGIC.subarray(0, start.length))) return 'it is not a SQLite database (it does not begin with "SQLite format 3")';
  if (size < HEADER_BYTES) return `it was cut short: ${size} bytes, less than a SQLite header (${HEADER_BYTES} bytes)`;
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `its header is damaged: page size ${raw} is not a power of two from 512 to 65536`;
  const [write, read] = [header[18]!, header[19]!];
  if (![1, 2].includes(write) || ![1, 2].includes(read)) return `its header is damaged: file format versions ${write}/${read} are not 1 or 2`;
  if (header[21] !== 64 || header[22] !== 32 || header[23] !== 32) return 'its header is damaged: the payload fractions (bytes 21-23) are not 64, 32, 32';
  if (size % pageSize !== 0) return `it was cut short mid-page: ${size} bytes is not a whole number of ${pageSize}-byte pages`;
  // SQLite trusts the page count in the header when the two counters agree. With frames in the
  // WAL the file may legitimately lag it (a checkpoint was interrupted; opening finishes it).
  const headerPages = header.readUInt32BE(28);
  const isCountValid = headerPages > 0 && header.readUInt32BE(24) === header.readUInt32BE(92);
  if (isCountValid && !hasWalFrames && size < headerPages * pageSize) {
    return `it was cut short: ${size / pageSize} pages, but its header says ${headerPages}`;
  }
  return undefined;
}

/**
 * Runs SQLite's quick_check on the store file (and its WAL) through a read-only connection.
 * Call with the store lock held. Throws CorruptStoreError, leaving the directory as it found it.
 */
export function checkIntegrity(path: string): void {
  const missing = [`${path}-wal`, `${path}-shm`].filter((file) => !existsSync(file));
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const problems = (db.pragma(`quick_check(${MAX_PROBLEMS})`) as Array<{ quick_check: string }>).map((row) => row.quick_check);
    if (problems.length !== 1 || problems[0] !== 'ok') throw new CorruptStoreError(path, `SQLite's quick_check found ${problems.join('; ')}`);
  } catch (err) {
    db?.close();
    db = undefined;
    for (const file of missing) rmSync(file, { force: true });
    if (err instanceof CorruptStoreError) throw err;
    if (isCorruption(err)) throw new CorruptStoreError(path, `SQLite cannot read it: ${(err as Error).message}`);
    throw err;
  } finally {
    db?.close();
  }
}

/** Whether an error means the file's contents are damaged (rather than, say, the disk failing). */
export function isCorruption(err: unknown): boolean {
  if (err instanceof CorruptStoreError) return true;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB'));
}

function readHeader(path: string): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, header, 0, HEADER_BYTES, 0);
    return header.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Renames a refused store file and its WAL files to `<path>.corrupt-<time>` (kept for a closer
 * look or a recovery tool), so a new store can begin at `path`; returns the new name.
 */
export function moveStoreFileAside(path: string): string {
  const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
  }
  return aside;
}
