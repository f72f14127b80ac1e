// Range reads. The key index decides which keys are in range and, at an older revision, which log
// row holds each one; the values are read from SQLite (the index keeps none, see LoggedKeyValue).

import type { KeyAt, KeyIndex } from './key-index.js';
import { isSingleKey, isUnbounded } from './key-range.js';
import { LoggedKeyValue } from './logged-key-value.js';
import type { SqliteLog } from './sqlite-log.js';
import { CompactedError, FutureRevisionError, type KeyValue, type RangeOptions, type RangeResult } from './store.js';

export class SqliteRangeReader {
  constructor(
    private readonly index: KeyIndex,
    private readonly log: SqliteLog,
    private readonly compactedRevision: () => number,
  ) {}

  /** Throws if `revision` cannot be served when the store is at `current`. */
  checkRevision(revision: number | undefined, current: number): void {
    if (!revision || revision <= 0) return;
    if (revision > current) throw new FutureRevisionError(revision, current);
    const compacted = this.compactedRevision();
    if (revision <= compacted) throw new CompactedError(revision, compacted);
  }

  /** Reads `[key, end)` as of `options.revision`, or as of `current`, the index's revision. */
  range(key: string, options: RangeOptions, current: number): RangeResult {
    this.checkRevision(options.revision, current);
    const revision = options.revision && options.revision > 0 ? options.revision : current;
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const isCountOnly = options.countOnly === true;
    const at = (k: string): KeyAt => (revision === current ? this.index.get(k) : this.index.at(k, revision));

    if (isSingleKey(options.end)) {
      const found = at(key);
      const kvs = found !== undefined && !isCountOnly ? [this.resolve(found)] : [];
      return { kvs, more: false, count: found === undefined ? 0 : 1, revision };
    }

    const found: Array<KeyValue | number> = [];
    let count = 0;
    this.index.forEachKey(key, isUnbounded(options.end) ? undefined : options.end, (k) => {
      const kv = at(k);
      if (kv === undefined) return true;
      count++;
      if (!isCountOnly && found.length < limit) found.push(kv);
      return true;
    });
    return { kvs: found.map((kv) => this.resolve(kv)), more: count > found.length && !isCountOnly, count, revision };
  }

  private resolve(found: KeyValue | number): KeyValue {
    if (typeof found === 'number') return this.log.keyValueAt(found);
    return found instanceof LoggedKeyValue ? found.toKeyValue() : found;
  }
}
