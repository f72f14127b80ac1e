// A key's live state as the in-memory key index keeps it: revisions, version and lease, with the
// value left in its log row and read from SQLite when asked. The server's watch cache holds every
// object already; a second, in-memory copy of each value here was ~190 MB of the heap at 100,000
// tasks and their 200,000 events. Puts, deletes and revision compares still need no SQL; a current
// read (a range, a value compare, a previous value) reads the row.
import type { KeyValue } from './store.js';

export class LoggedKeyValue implements KeyValue {
  constructor(
    readonly key: string,
    readonly createRevision: number,
    readonly modRevision: number,
    readonly version: number,
    readonly lease: number,
    /** The log row holding the value; live rows are never compacted. */
    private readonly rowId: number,
    private readonly readValue: (rowId: number) => string,
  ) {}

  get value(): string {
    return this.readValue(this.rowId);
  }

  /** A plain key-value with the value read now (a range answer, which its caller may keep). */
  toKeyValue(): KeyValue {
    return Object.freeze({ key: this.key, value: this.value, createRevision: this.createRevision, modRevision: this.modRevision, version: this.version, lease: this.lease });
  }
}
