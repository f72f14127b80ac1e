// The process trees of this machine's tasks, measured from /proc. Each task's processes descend
// from its supervisor shim (a subreaper, so even daemons that left their group stay below it).
// Nothing cheaper names a tree's members here: these machines have no cgroup v2 memory
// controller and no /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN is off), so a process is
// placed by its parent. A pass reads /proc's directory, then one stat file per task process and
// per shim; a process found to be no task's is not read again for a minute, since a process never
// gains an ancestor (only a reused pid could change the answer, and the minute bounds that).
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import type { ProcessId } from './proc.js';

/** USER_HZ, the unit of /proc's CPU times: 100 on every Linux ABI, whatever the kernel's HZ. */
export const TICKS_PER_SECOND = 100;

const FOREIGN_RECHECK_MS = 60_000;

export interface TreeUsage {
  /**
   * CPU time of the tree so far, in ticks: its live processes' own and their reaped children's,
   * plus the descendants the shim reaped, so the total only grows as processes come and go.
   * Only from a pass `withCpu`.
   */
  cpuTicks: number;
  /** How long ago the shim started, ms (only from a pass `withCpu`). */
  ageMs: number;
  /** Resident memory of its live processes, bytes (a page shared by two processes counts twice, as ps sums). */
  rssBytes: number;
  /** Its live processes, the shim excluded. */
  pids: number[];
}

interface Stat {
  ppid: number;
  startTime: number;
  /** utime + stime + cutime + cstime. */
  cpuTicks: number;
  /** cutime + cstime: children waited for. */
  reapedTicks: number;
  rssPages: number;
}

export class ProcessTable {
  /** Processes of a tree, by pid: the tree's key and the start time that proves it is the same process. */
  private readonly members = new Map<number, { key: string; startTime: number }>();
  /** Pids of no tree, with the time after which to look again. */
  private readonly foreign = new Map<number, number>();
  private roots = new Set<string>();
  private readonly buf = Buffer.allocUnsafe(4096);
  private readonly pageBytes: number;

  constructor() {
    this.pageBytes = pageSize();
  }

  /**
   * The usage of the tree under each root (keyed as given). `withCpu` also reads each shim (what
   * it reaped, and that it is still the same process: a root that is gone then has no entry) and
   * the clock since boot; a memory check does without, at half the reads.
   */
  measure(roots: ReadonlyMap<string, ProcessId>, opts: { withCpu: boolean; now?: number }): Map<string, TreeUsage> {
    const now = opts.now ?? Date.now();
    const out = new Map<string, TreeUsage>();
    const rootKeyByPid = new Map<number, string>();
    const rootIds = new Set<string>();
    const uptimeTicks = opts.withCpu ? readUptimeTicks() : 0;
    for (const [key, id] of roots) {
      rootIds.add(`${id.pid}:${id.startTime}`);
      let reapedTicks = 0;
      if (opts.withCpu) {
        const st = this.readStat(id.pid);
        if (!st || st.startTime !== id.startTime) continue;
        reapedTicks = st.reapedTicks;
      }
      rootKeyByPid.set(id.pid, key);
      out.set(key, { cpuTicks: reapedTicks, ageMs: ((uptimeTicks - id.startTime) * 1000) / TICKS_PER_SECOND, rssBytes: 0, pids: [] });
    }
    // A new shim's processes may have been seen (as nobody's) before it was named a root.
    for (const id of rootIds) if (!this.roots.has(id)) this.foreign.clear();
    this.roots = rootIds;

    const owner = new Map<number, string>();
    const unplaced = new Map<number, Stat>();
    const seen = new Set<number>();
    for (const name of readdirSync('/proc')) {
      const pid = toPid(name);
      if (pid === undefined) continue;
      seen.add(pid);
      if (rootKeyByPid.has(pid) || (this.foreign.get(pid) ?? 0) > now) continue;
      const st = this.readStat(pid);
      if (!st) continue;
      const m = this.members.get(pid);
      if (m && m.startTime === st.startTime && out.has(m.key)) {
        owner.set(pid, m.key);
        add(out.get(m.key)!, pid, st, this.pageBytes);
      } else {
        unplaced.set(pid, st);
      }
    }

    // New processes belong to the tree of their parent, which may be new itself.
    const resolve = (pid: number): string | null => {
      const known = rootKeyByPid.get(pid) ?? owner.get(pid);
      if (known !== undefined) return known || null;
      const st = unplaced.get(pid);
      if (!st) return null;
      owner.set(pid, ''); // a cycle (pids reused mid-pass) ends here as nobody's
      const key = resolve(st.ppid) || null;
      owner.set(pid, key ?? '');
      return key;
    };
    for (const [pid, st] of unplaced) {
      const key = resolve(pid);
      if (key) {
        this.members.set(pid, { key, startTime: st.startTime });
        add(out.get(key)!, pid, st, this.pageBytes);
      } else {
        this.members.delete(pid);
        this.foreign.set(pid, now + FOREIGN_RECHECK_MS);
      }
    }
    for (const pid of this.members.keys()) if (!seen.has(pid) || !owner.get(pid)) this.members.delete(pid);
    for (const pid of this.foreign.keys()) if (!seen.has(pid)) this.foreign.delete(pid);
    return out;
  }

  /** One open/read/close into a reused buffer: a third of readFileSync's cost, measured (14 µs against 38 µs a file). */
  private readStat(pid: number): Stat | undefined {
    let n: number;
    try {
      const fd = openSync(`/proc/${pid}/stat`, 'r');
      try {
        n = readSync(fd, this.buf, 0, this.buf.length, null);
      } finally {
        closeSync(fd);
      }
    } catch {
      return undefined; // gone meanwhile
    }
    return parseStat(this.buf.toString('latin1', 0, n));
  }
}

/** Fields of /proc/PID/stat that measure a process; the command name (field 2) may hold spaces and parentheses. */
export function parseStat(text: string): Stat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state): field N is f[N - 3].
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const cutime = Number(f[13]);
  const cstime = Number(f[14]);
  return {
    ppid: Number(f[1]),
    startTime: Number(f[19]),
    cpuTicks: utime + stime + cutime + cstime,
    reapedTicks: cutime + cstime,
    rssPages: f[0] === 'Z' ? 0 : Number(f[21]),
  };
}

function add(u: TreeUsage, pid: number, st: Stat, pageBytes: number): void {
  u.cpuTicks += st.cpuTicks;
  u.rssBytes += st.rssPages * pageBytes;
  u.pids.push(pid);
}

/** Seconds since boot (/proc/uptime), in the ticks process start times are given in. */
function readUptimeTicks(): number {
  return Math.round(Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]) * TICKS_PER_SECOND);
}

function toPid(name: string): number | undefined {
  const c = name.charCodeAt(0);
  return c >= 48 && c <= 57 ? Number(name) : undefined;
}

/** The kernel's page size, from the first mapping of our own smaps (Node does not expose sysconf). */
function pageSize(): number {
  try {
    const fd = openSync('/proc/self/smaps', 'r');
    const buf = Buffer.alloc(1024);
    const n = readSync(fd, buf, 0, buf.length, null);
    closeSync(fd);
    const kb = /KernelPageSize:\s+(\d+) kB/.exec(buf.toString('latin1', 0, n));
    if (kb) return Number(kb[1]) * 1024;
  } catch {
    // fall through
  }
  return 4096;
}
