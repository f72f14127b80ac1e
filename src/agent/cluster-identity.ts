// Which cluster this agent belongs to. A server restarted on an empty or wrong store (a 0-byte
// state.db, a wrong --data, another etcd prefix) lists no tasks for this machine, and an agent
// that believed it would stop everything it runs. So the agent remembers the cluster id it
// joined (and the newest revision it has seen) in its data dir, and refuses to act on a server
// whose cluster is another one, or whose store went back in time, until an operator says so
// (`drover agent --accept-new-cluster`).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

interface Remembered {
  id: string;
  revision: number;
}

/**
 * How far back a server's revision may be before it counts as a store that went back in time:
 * servers on one etcd answer from caches that may each lag a little behind the other.
 */
const REVISION_SLACK = 1_000;
/** The newest revision is written down at most this often (it only needs to be roughly current). */
const SAVE_EVERY_MS = 30_000;

export class ClusterIdentity {
  private remembered: Remembered | undefined;
  private savedAt = 0;

  constructor(
    private readonly file: string,
    /** Take the server's cluster as this agent's, whatever it remembers (--accept-new-cluster). */
    private acceptNew = false,
  ) {
    try {
      const r = JSON.parse(readFileSync(file, 'utf8')) as Remembered;
      if (typeof r.id === 'string' && typeof r.revision === 'number') this.remembered = r;
    } catch {
      // first start, or a file from an older agent: learned from the server
    }
  }

  get id(): string | undefined {
    return this.remembered?.id;
  }

  /**
   * Compares what a server says with what this agent remembers: undefined when it is this
   * agent's cluster (and the revision is remembered), else why the agent must not act on it.
   */
  check(id: string, revision: number): string | undefined {
    const r = this.remembered;
    if (!r || this.acceptNew) {
      this.acceptNew = false;
      this.remember(id, revision, true);
      return undefined;
    }
    if (r.id !== id) {
      return `the server answers for cluster ${id}, but this agent belongs to cluster ${r.id} (was the server started on an empty or another store?); it keeps its tasks running and stops nothing until the right store is back, or an operator restarts it with --accept-new-cluster`;
    }
    if (revision + REVISION_SLACK < r.revision) {
      return `the server's store is at revision ${revision}, behind the revision ${r.revision} this agent has seen (was it restored from an older backup?); it keeps its tasks running and stops nothing until an operator restarts it with --accept-new-cluster`;
    }
    this.remember(id, Math.max(r.revision, revision), false);
    return undefined;
  }

  private remember(id: string, revision: number, now: boolean): void {
    this.remembered = { id, revision };
    if (!now && Date.now() - this.savedAt < SAVE_EVERY_MS) return;
    this.savedAt = Date.now();
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.remembered));
    renameSync(tmp, this.file);
  }
}
