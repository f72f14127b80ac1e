// Candidate queues over the machines one kind of request may use, best machine first. A queue
// serves every request with the same selector, resources, strategy and (when conflicts can apply)
// service and globs, and only ever loses machines: usage only grows during a pass, so a machine
// that cannot take such a request now never will, and is dropped for good. That keeps the cost
// per placement far below a scan of all machines.
import type { Cluster } from './cluster.js';

export interface Candidates {
  /** The best machine still in the queue, or -1 when none is left. */
  top(): number;
  /** Removes the top machine for good. */
  drop(): void;
  /** Machine i just received a task (only binpack queues care). */
  placed(i: number): void;
  /** Cached explanation once the queue is empty. */
  reason: string | undefined;
}

/**
 * Spread: fewest tasks, then lowest name. Machines are kept in name order with a current level
 * (the least task count among them) and a cursor: every machine before the cursor has more tasks
 * than the level, none has fewer. The next machine is the first at the level from the cursor on,
 * so the cursor sweeps the list about once per level, reading task counts as they are now —
 * placements made through other queues need no bookkeeping here. A heap needed one refiling per
 * placement per queue sharing the machine, several times slower when many kinds of request mix.
 */
export class SpreadCandidates implements Candidates {
  reason: string | undefined;
  private readonly items: Int32Array;
  private size: number;
  private level = -1;
  private cursor = 0;

  constructor(
    private readonly cluster: Cluster,
    machines: Int32Array,
  ) {
    this.items = Int32Array.from(machines);
    this.size = machines.length;
  }

  top(): number {
    const { items } = this;
    const counts = this.cluster.taskCount;
    for (;;) {
      if (this.level < 0 && !this.findLevel()) return -1;
      for (let j = this.cursor; j < this.size; j++) {
        const m = items[j];
        if (m >= 0 && counts[m] === this.level) {
          this.cursor = j;
          return m;
        }
      }
      this.level = -1; // the level is used up everywhere: find the next one
    }
  }

  drop(): void {
    this.items[this.cursor] = -1;
  }

  placed(): void {}

  /** Compacts out dropped machines and starts a sweep at the least task count; false when empty. */
  private findLevel(): boolean {
    const { items } = this;
    const counts = this.cluster.taskCount;
    let n = 0;
    let least = Infinity;
    for (let j = 0; j < this.size; j++) {
      const m = items[j];
      if (m < 0) continue;
      items[n++] = m;
      if (counts[m] < least) least = counts[m];
    }
    this.size = n;
    this.cursor = 0;
    if (n === 0) return false;
    this.level = least;
    return true;
  }
}

/**
 * Binpack: least free cpu, then memory, then lowest name. Placements anywhere shrink a machine's
 * key, so this queue is indexed and told about every placement (`placed`) to move it up.
 */
export class BinpackCandidates implements Candidates {
  reason: string | undefined;
  private size: number;
  private readonly items: Int32Array;
  private readonly pos: Int32Array;

  constructor(
    private readonly cluster: Cluster,
    machines: Int32Array,
  ) {
    this.size = machines.length;
    this.items = Int32Array.from(machines);
    this.pos = new Int32Array(cluster.size).fill(-1);
    for (let j = 0; j < this.size; j++) this.pos[this.items[j]] = j;
    for (let j = (this.size >> 1) - 1; j >= 0; j--) this.siftDown(j);
  }

  top(): number {
    return this.size > 0 ? this.items[0] : -1;
  }

  drop(): void {
    const last = --this.size;
    this.pos[this.items[0]] = -1;
    if (last > 0) {
      this.items[0] = this.items[last];
      this.pos[this.items[0]] = 0;
      this.siftDown(0);
    }
  }

  placed(i: number): void {
    const j = this.pos[i];
    if (j >= 0) this.siftUp(j);
  }

  private siftUp(j: number): void {
    const { items, pos, cluster } = this;
    const item = items[j];
    while (j > 0) {
      const p = (j - 1) >> 1;
      if (!cluster.before(item, items[p], 'binpack')) break;
      items[j] = items[p];
      pos[items[j]] = j;
      j = p;
    }
    items[j] = item;
    pos[item] = j;
  }

  private siftDown(j: number): void {
    const { items, pos, cluster, size } = this;
    const item = items[j];
    for (;;) {
      let c = 2 * j + 1;
      if (c >= size) break;
      if (c + 1 < size && cluster.before(items[c + 1], items[c], 'binpack')) c++;
      if (!cluster.before(items[c], item, 'binpack')) break;
      items[j] = items[c];
      pos[items[j]] = j;
      j = c;
    }
    items[j] = item;
    pos[item] = j;
  }
}
