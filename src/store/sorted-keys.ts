// An ordered set of strings for range scans over the in-memory key index: sorted chunks of at most
// MAX_CHUNK keys, so an insert or delete moves at most a chunk's worth of entries (a flat sorted
// array would move half the keyspace per new key).

const MAX_CHUNK = 1024;

export class SortedKeySet {
  private readonly chunks: string[][] = [];
  /** Last (greatest) key of each chunk, for the binary search that picks a chunk. */
  private readonly lasts: string[] = [];

  add(key: string): void {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.lasts.push(key);
      return;
    }
    const c = Math.min(lowerBound(this.lasts, key), this.chunks.length - 1);
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk, key);
    if (chunk[i] === key) return;
    chunk.splice(i, 0, key);
    if (i === chunk.length - 1) this.lasts[c] = key;
    if (chunk.length > MAX_CHUNK) {
      const upper = chunk.splice(chunk.length >> 1);
      this.chunks.splice(c + 1, 0, upper);
      this.lasts.splice(c, 1, chunk[chunk.length - 1]!, upper[upper.length - 1]!);
    }
  }

  delete(key: string): void {
    const c = lowerBound(this.lasts, key);
    const chunk = this.chunks[c];
    if (!chunk) return;
    const i = lowerBound(chunk, key);
    if (chunk[i] !== key) return;
    chunk.splice(i, 1);
    if (chunk.length === 0) {
      this.chunks.splice(c, 1);
      this.lasts.splice(c, 1);
    } else if (i === chunk.length) {
      this.lasts[c] = chunk[i - 1]!;
    }
  }

  /** Calls `visit` for each key in [start, end) in order (`end` undefined: no upper bound) until it returns false. */
  forEachInRange(start: string, end: string | undefined, visit: (key: string) => boolean): void {
    const first = lowerBound(this.lasts, start);
    for (let c = first; c < this.chunks.length; c++) {
      const chunk = this.chunks[c]!;
      for (let i = c === first ? lowerBound(chunk, start) : 0; i < chunk.length; i++) {
        const key = chunk[i]!;
        if (end !== undefined && key >= end) return;
        if (!visit(key)) return;
      }
    }
  }
}

/** Index of the first element >= key (keys compare as JS strings, i.e. by UTF-16 code unit). */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
