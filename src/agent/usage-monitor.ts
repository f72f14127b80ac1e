// Measures what this machine's tasks use (`drover top`) and enforces their memory limits.
//
// Each pass reads the tasks' process trees from /proc (ProcessTable) and kills a task whose
// resident memory is past its limit. Why the agent and not the kernel: these machines have no
// cgroup v2 memory controller (memory is bound to a v1 hierarchy that belongs to whoever runs
// us); RLIMIT_AS counts reserved address space, so runtimes that reserve up front (Go, the JVM)
// fail at start; RLIMIT_DATA misses shared and file-backed memory; and both bound one process,
// not a tree. A watchdog acts within one check interval rather than at the page fault.
//
// Figures are taken for every task at once, at the end of each window (the usage interval), and
// written only when they changed meaningfully, so idle tasks cost no writes; the passes between
// window ends only check limits, reading half as many files.
import type { ResourceUsage } from '../model/index.js';
import type { ProcessId } from './proc.js';
import { ProcessTable, TICKS_PER_SECOND, type TreeUsage } from './process-table.js';
import type { MemoryExceeded } from './supervisor.js';

/** One running task, as the monitor needs it. */
export interface MeasuredTask {
  uid: string;
  /** Its supervisor shim: every process of the task descends from it. */
  root: ProcessId;
  memoryLimitBytes?: number;
  /** The usage the server has for it (so a restarted agent does not rewrite every task). */
  reportedUsage?: ResourceUsage;
  report(usage: ResourceUsage): void;
  killForMemory(exceeded: MemoryExceeded, pids: number[]): void;
}

export interface HostSample {
  /** Busy CPU time of the whole machine so far, ticks. */
  cpuTicks: number;
  memoryBytes: number;
}

export interface UsageMonitorOptions {
  tasks(): Iterable<MeasuredTask>;
  /** Machine-wide figures (undefined when they cannot be read). */
  host(): HostSample | undefined;
  reportMachine(usage: ResourceUsage): Promise<void>;
  /** Length of a measuring window: how often figures may be written. */
  intervalMs: number;
  /** How often memory limits are checked, when a task has one (never less often than intervalMs). */
  memoryCheckMs: number;
  onError(err: unknown, what: string): void;
}

/** Below these a change is noise, not news: the least change worth a write, and the least fraction of the last figure. */
export interface ChangeFloor {
  cpuMilli: number;
  memoryBytes: number;
}
export const TASK_FLOOR: ChangeFloor = { cpuMilli: 25, memoryBytes: 2 ** 20 };
export const MACHINE_FLOOR: ChangeFloor = { cpuMilli: 100, memoryBytes: 64 * 2 ** 20 };
const CPU_FRACTION = 0.2;
const MEMORY_FRACTION = 0.1;

export function isUsageChanged(last: ResourceUsage | undefined, next: Omit<ResourceUsage, 'sampledAt'>, floor: ChangeFloor): boolean {
  if (!last) return true;
  const cpu = Math.abs(next.cpuMilli - last.cpuMilli) >= Math.max(floor.cpuMilli, last.cpuMilli * CPU_FRACTION);
  const memory = Math.abs(next.memoryBytes - last.memoryBytes) >= Math.max(floor.memoryBytes, last.memoryBytes * MEMORY_FRACTION);
  return cpu || memory;
}

interface TaskState {
  /** "pid:starttime" of the run's shim: a new run starts afresh. */
  run: string;
  /** Start of its current CPU window (monotonic ms) and the tree's CPU time then; unset until a window's end has seen the run. */
  cpuAt?: number;
  cpuTicks: number;
  /** What this monitor last wrote (before its first write, the server's copy counts). */
  reported?: ResourceUsage;
  isKilled: boolean;
}

export class UsageMonitor {
  private readonly table = new ProcessTable();
  private readonly states = new Map<string, TaskState>();
  /** When the current window began (monotonic ms). */
  private windowAt = -Infinity;
  private machine?: { at: number; ticks: number; reported?: ResourceUsage; isSending?: boolean };
  private timer?: NodeJS.Timeout;
  private nextAt = Infinity;
  private closed = false;
  /** The pass start() makes: it checks limits and takes no figures. */
  private isStarting = false;

  constructor(private readonly opts: UsageMonitorOptions) {}

  /**
   * Checks limits now, then keeps passing until closed. The first figures come a window later:
   * by then the agent has the server's copy of its tasks and leaves alone what it already has.
   */
  start(): void {
    this.windowAt = performance.now();
    const host = this.opts.host();
    if (host) this.machine = { at: this.windowAt, ticks: host.cpuTicks };
    // Limits only, whatever the clock says: with a short window a slow start could otherwise end one.
    this.isStarting = true;
    this.tick();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  /** A run started: look at it within memoryCheckMs (its limit holds from the start), not at the window's end. */
  soon(): void {
    if (this.closed || !this.timer || this.nextAt - performance.now() <= this.opts.memoryCheckMs) return;
    clearTimeout(this.timer);
    this.schedule(this.opts.memoryCheckMs);
  }

  /**
   * One pass at monotonic time `now` (ms): check every task against its memory limit and, at a
   * window's end, take every task's figures and write those that changed. Answers when the next
   * pass is due. Synchronous reads: a pass takes a few ms, and asynchronous file reads cost
   * several times as much.
   */
  pass(now = performance.now()): number {
    const tasks = [...this.opts.tasks()];
    // All tasks' figures are taken at once, once a window; passes in between check limits only.
    const isWindowEnd = !this.isStarting && now - this.windowAt >= this.opts.intervalMs;
    this.isStarting = false;
    const usage = this.table.measure(new Map(tasks.map((t) => [t.uid, t.root])), { withCpu: isWindowEnd });
    const sampledAt = new Date().toISOString();
    let hasLimits = false;
    for (const t of tasks) {
      const u = usage.get(t.uid);
      if (!u) continue;
      const state = this.stateOf(t);
      if (t.memoryLimitBytes !== undefined) {
        hasLimits = true;
        if (u.rssBytes > t.memoryLimitBytes && !state.isKilled) {
          state.isKilled = true;
          t.killForMemory({ limitBytes: t.memoryLimitBytes, usageBytes: u.rssBytes }, u.pids);
          continue;
        }
      }
      if (isWindowEnd) this.takeFigures(t, state, u, now, sampledAt);
    }
    if (isWindowEnd) {
      this.windowAt = now;
      if (this.states.size > tasks.length) {
        const live = new Set(tasks.map((t) => t.uid));
        for (const uid of this.states.keys()) if (!live.has(uid)) this.states.delete(uid);
      }
      this.measureMachine(now, sampledAt);
    }
    const untilWindowEnd = Math.max(0, this.windowAt + this.opts.intervalMs - now);
    return hasLimits ? Math.min(untilWindowEnd, this.opts.memoryCheckMs) : untilWindowEnd;
  }

  private stateOf(t: MeasuredTask): TaskState {
    const run = `${t.root.pid}:${t.root.startTime}`;
    let state = this.states.get(t.uid);
    if (!state || state.run !== run) {
      state = { run, cpuTicks: 0, reported: state?.reported, isKilled: false };
      this.states.set(t.uid, state);
    }
    return state;
  }

  private takeFigures(t: MeasuredTask, state: TaskState, u: TreeUsage, now: number, sampledAt: string): void {
    // A run's first window began when its shim did (its CPU time was 0 then).
    if (state.cpuAt === undefined) state.cpuAt = now - u.ageMs;
    const elapsed = now - state.cpuAt;
    if (elapsed < this.opts.intervalMs / 2) return; // too short to say: the next window will
    const next = { cpuMilli: cpuMilli(u.cpuTicks - state.cpuTicks, elapsed), memoryBytes: u.rssBytes, sampledAt };
    state.cpuAt = now;
    state.cpuTicks = u.cpuTicks;
    if (isUsageChanged(state.reported ?? t.reportedUsage, next, TASK_FLOOR)) {
      state.reported = next;
      t.report(next);
    }
  }

  private measureMachine(now: number, sampledAt: string): void {
    const m = this.machine;
    if (m?.isSending) return;
    const host = this.opts.host();
    if (!host) return;
    if (!m) {
      this.machine = { at: now, ticks: host.cpuTicks };
      return;
    }
    const next = { cpuMilli: cpuMilli(host.cpuTicks - m.ticks, now - m.at), memoryBytes: host.memoryBytes, sampledAt };
    m.at = now;
    m.ticks = host.cpuTicks;
    if (!isUsageChanged(m.reported, next, MACHINE_FLOOR)) return;
    m.isSending = true;
    this.opts
      .reportMachine(next)
      .then(() => (m.reported = next))
      .catch((err) => this.opts.onError(err, 'machine usage report'))
      .finally(() => (m.isSending = false));
  }

  private tick(): void {
    let next = this.opts.intervalMs;
    try {
      next = this.pass();
    } catch (err) {
      this.opts.onError(err, 'usage pass');
    }
    if (!this.closed) this.schedule(next);
  }

  private schedule(ms: number): void {
    this.nextAt = performance.now() + ms;
    this.timer = setTimeout(() => this.tick(), ms);
    // The monitor never keeps a process alive on its own.
    this.timer.unref();
  }
}

function cpuMilli(ticks: number, elapsedMs: number): number {
  if (elapsedMs <= 0) return 0;
  return Math.max(0, Math.round(((ticks / TICKS_PER_SECOND) * 1000 * 1000) / elapsedMs));
}
