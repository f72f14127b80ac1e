// Space kept for a rainy day: a file beside the store, written in full so its blocks are really
// allocated, and deleted when the disk fills. The space it gives back lets the deletes, the
// compaction and the WAL checkpoint that free the disk commit; once the disk has room again it is
// written back. Random bytes, not zeros: a compressing file system (btrfs, ZFS) keeps no blocks
// for zeros.

import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, openSync, rmSync, statfsSync, statSync, writeSync } from 'node:fs';

const CHUNK_BYTES = 1024 * 1024;
const MIN_RESERVE_BYTES = 1024 * 1024;
const MAX_RESERVE_BYTES = 16 * 1024 * 1024;

/**
 * 1/64 of the file system, from 1 to 16 MiB: room for the WAL checkpoint to finish and for the
 * deletes and compaction chunks that follow (the WAL restarts at 16 MiB; a chunk writes ~1 MiB).
 */
export function defaultReserveBytes(dir: string): number {
  const { blocks, bsize } = statfsSync(dir);
  return Math.min(MAX_RESERVE_BYTES, Math.max(MIN_RESERVE_BYTES, Math.floor((blocks * bsize) / 64 / 4096) * 4096));
}

export class ReserveFile {
  constructor(
    readonly path: string,
    readonly sizeBytes: number,
  ) {}

  /** Whether the file is there in full. */
  get isHeld(): boolean {
    try {
      return statSync(this.path).size >= this.sizeBytes;
    } catch {
      return false;
    }
  }

  /**
   * Writes the file unless it is there in full; false (and no file) when the disk has no room for
   * it. Not fsync'd: file systems count the blocks when written (a crash leaves a short file,
   * written again at the next start).
   */
  hold(): boolean {
    if (this.isHeld) return true;
    const chunk = randomFillSync(Buffer.alloc(Math.min(CHUNK_BYTES, this.sizeBytes)));
    let fd: number | undefined;
    try {
      fd = openSync(this.path, 'w');
      for (let written = 0; written < this.sizeBytes; ) written += writeSync(fd, chunk, 0, Math.min(chunk.length, this.sizeBytes - written));
      return true;
    } catch (err) {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      rmSync(this.path, { force: true });
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return false;
      throw err;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Deletes the file, giving its space back to the file system; false if it was not there. */
  release(): boolean {
    const wasThere = existsSync(this.path);
    rmSync(this.path, { force: true });
    return wasThere;
  }
}
