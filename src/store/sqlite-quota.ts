// The NOSPACE alarm, etcd's way: a quota on what the database holds, and an alarm raised when a
// write would pass it or when the disk fills (SQLite answers SQLITE_FULL, on a commit or a WAL
// checkpoint). While it is raised the store refuses puts and lease grants but takes deletes and
// compaction, which is how space is freed; it clears by itself once usage is back under the quota
// and the disk has room for the reserve file again.
//
// Usage is counted in pages in use (free pages are reused before the file grows), measured exactly
// where it matters: when an estimate kept from the bytes of admitted writes nears the quota, and
// at least every MEASURE_EVERY_BYTES. An exact measure costs ~8 µs inside a transaction; the
// estimate costs an addition, so the write path stays as fast as it was.

import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ReserveFile } from './reserve-file.js';
import { NoSpaceError, type NoSpaceAlarm } from './store.js';
import type { Logger } from './watch-hub.js';

/** The largest default quota (etcd recommends at most 8 GiB of database). */
export const MAX_DEFAULT_QUOTA_BYTES = 8 * 1024 ** 3;
/** Bytes a log row costs beyond its key and value (ids, revisions, record header, page slack). */
export const ROW_OVERHEAD_BYTES = 48;
const MEASURE_EVERY_BYTES = 1024 * 1024;

export interface SpaceQuotaOptions {
  /** The store file, named in messages; its directory's file system is the one measured. */
  path: string;
  /** Fixed quota; omitted: min(8 GiB, what the database holds + free space − the reserve), re-sized each time it is reached. */
  quotaBytes?: number;
  reserve: ReserveFile;
  /** The disk had less free space than the reserve when the store opened (the reserve, if any, was released for the open). */
  isDiskFull: boolean;
  /** Bytes in the database's pages in use, as this connection sees them (inside a transaction: with its writes). */
  measureUsedBytes(): number;
  logger: Logger;
}

export class SpaceQuota {
  private quota: number;
  private usedBytes: number;
  /** Estimated bytes written since usedBytes was measured. */
  private sinceMeasured = 0;
  private alarm: NoSpaceAlarm | undefined;
  private isDiskFull = false;
  private isCheckpointFailing = false;

  constructor(private readonly options: SpaceQuotaOptions) {
    this.usedBytes = options.measureUsedBytes();
    const isReserveHeld = !options.isDiskFull && options.reserve.hold();
    this.quota = options.quotaBytes ?? this.defaultQuota();
    if (!isReserveHeld) this.diskFull(`less than the ${sizeText(options.reserve.sizeBytes)} reserve is free`);
    else if (this.usedBytes >= this.quota) this.raise(this.quotaMessage());
  }

  get quotaBytes(): number {
    return this.quota;
  }

  get isAlarmed(): boolean {
    return this.alarm !== undefined;
  }

  get currentAlarm(): NoSpaceAlarm | undefined {
    return this.alarm;
  }

  /**
   * In the writer's transaction, before a write that puts `bytes`: refuses it (NoSpaceError) while
   * the alarm is raised, or when it would take the database past the quota (raising the alarm).
   */
  admit(bytes: number): void {
    if (this.alarm) throw new NoSpaceError(this.alarm.message);
    // Pages hold rows with slack (three 1 KB rows fill a 4 KiB page): near the quota the estimate
    // is doubled so that the exact measure comes before the line, not after it.
    if (this.usedBytes + 2 * (this.sinceMeasured + bytes) > this.quota || this.sinceMeasured >= MEASURE_EVERY_BYTES) {
      this.measure();
      if (this.usedBytes + bytes > this.quota) {
        this.raise(this.quotaMessage());
        throw new NoSpaceError(this.alarm!.message);
      }
    }
    this.sinceMeasured += bytes;
  }

  /** SQLite could not write for want of disk space: raise the alarm and give back the reserve. */
  diskFull(what: string): void {
    if (this.isDiskFull) return;
    this.isDiskFull = true;
    const released = this.options.reserve.release();
    this.raise(
      `the store is out of space: the disk holding ${this.options.path} is full (${what}); ` +
        'until it has room again only deletes and compaction are accepted: free space on that disk, or delete objects you no longer need' +
        (released ? ` (the ${sizeText(this.options.reserve.sizeBytes)} reserve was released so that they can commit)` : ''),
      true,
    );
  }

  checkpointFailed(isDiskFull: boolean, message: string): void {
    this.isCheckpointFailing = true;
    if (isDiskFull) this.diskFull(`the WAL checkpoint cannot write: ${message}`);
  }

  checkpointRecovered(): void {
    this.isCheckpointFailing = false;
  }

  /**
   * Measures again and clears the alarm once usage is below the quota by a small margin (so it does
   * not flap on every write at the line), checkpoints succeed and the reserve is back in place.
   */
  recheck(): void {
    this.measure();
    if (!this.alarm) return;
    if (this.usedBytes >= this.quota - this.clearMargin() || this.isCheckpointFailing) return;
    if (this.isDiskFull && !this.options.reserve.hold()) return;
    this.isDiskFull = false;
    this.options.logger.info?.({ usedBytes: this.usedBytes, quotaBytes: this.quota, since: this.alarm.since }, 'NOSPACE alarm cleared: the store accepts writes again');
    this.alarm = undefined;
  }

  /** Exact usage now; the default quota follows the free space (it is re-sized here). */
  measure(): number {
    this.usedBytes = this.options.measureUsedBytes();
    this.sinceMeasured = 0;
    if (this.options.quotaBytes === undefined) this.quota = this.defaultQuota();
    return this.usedBytes;
  }

  private defaultQuota(): number {
    const { bavail, bsize } = statfsSync(dirname(this.options.path));
    return Math.min(MAX_DEFAULT_QUOTA_BYTES, this.usedBytes + bavail * bsize - this.options.reserve.sizeBytes);
  }

  private clearMargin(): number {
    return Math.min(this.quota / 20, 8 * 1024 * 1024);
  }

  private quotaMessage(): string {
    const flag = this.options.quotaBytes === undefined ? 'sized from the free disk space; set it with --store-quota' : '--store-quota';
    return (
      `the store is out of space: its database holds ${sizeText(this.usedBytes)} and its quota is ${sizeText(this.quota)} (${flag}); ` +
      'until usage is back under the quota only deletes and compaction are accepted: delete objects you no longer need ' +
      '(history is compacted at once while the alarm lasts), or restart with a larger --store-quota if the disk has room'
    );
  }

  /** Raises the alarm, or gives a raised one a new reason; logged when new or `isNewCause`. */
  private raise(message: string, isNewCause = false): void {
    const isNew = this.alarm === undefined;
    this.alarm = { message, since: this.alarm?.since ?? new Date() };
    if (isNew || isNewCause) this.options.logger.warn({ usedBytes: this.usedBytes, quotaBytes: this.quota }, `NOSPACE alarm raised: ${message}`);
  }
}

/** A size for messages: "256 KiB", "7.9 MiB", "8.0 GiB". */
export function sizeText(bytes: number): string {
  if (bytes < 1024 ** 2) return `${Math.round(bytes / 1024)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}
