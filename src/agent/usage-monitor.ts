// Measures what this machine's tasks use (`drover top`) and enforces their memory limits.
//
// Every pass reads each task's process tree from /proc (ProcessTable) and kills a task whose
// resident memory is past its limit. Why the agent, and not the kernel: these machines have no
// cgroup v2 memory controller (memory is bound to a v1 hierarchy that belongs to whoever runs
// us), and RLIMIT_AS/RLIMIT_DATA bound one process's address space, not a tree's resident memory,
// and make runtimes that reserve address space up front (Go, the JVM, glibc arenas) fail at
// start. A watchdog reacts within one check interval instead of at the page fault: a limit is a
// promise to the machine, kept within seconds.
//
// Figures go out once per window (the usage interval), and only when they changed meaningfully
// since the last ones written, so idle tasks cost no writes.
import type { ResourceUsage } from '../model/index.js';
import type { ProcessId } from './proc.js';
import { ProcessTable, TICKS_PER_SECOND } from './process-table.js';
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

/** A window of CPU time: where it started (monotonic ms, ticks). */
interface Window {
  at: number;
  ticks: number;
}

interface TaskWindow extends Window {
  /** "pid:starttime" of the run's shim: a new run starts a new window. */
  run: string;
  reported?: ResourceUsage;
  isKilled: boolean;
}

export class UsageMonitor {
  private readonly table = new ProcessTable();
  private readonly windows = new Map<string, TaskWindow>();
  private machine?: Window & { reported?: ResourceUsage; isSending?: boolean };
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly opts: UsageMonitorOptions) {}

  start(): void {
    this.schedule(0);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  /**
   * One pass at monotonic time `now` (ms): measure every task, enforce limits, write what
   * changed; answers when the next pass is due. Synchronous reads: a pass takes a few ms, and
   * asynchronous file reads cost several times as much.
   */
  pass(now = performance.now()): number {
    const sampledAt = new Date().toISOString();
    const tasks = [...this.opts.tasks()];
    const usage = this.table.measure(new Map(tasks.map((t) => [t.uid, t.root])));
    let hasLimits = false;
    for (const t of tasks) {
      const u = usage.get(t.uid);
      const run = `${t.root.pid}:${t.root.startTime}`;
      let w = this.windows.get(t.uid);
      if (!w || w.run !== run) {
        w = { run, at: now, ticks: u?.cpuTicks ?? 0, reported: w?.reported ?? t.reportedUsage, isKilled: false };
        this.windows.set(t.uid, w);
      }
      if (!u) continue;
      if (t.memoryLimitBytes !== undefined) {
        hasLimits = true;
        if (u.rssBytes > t.memoryLimitBytes && !w.isKilled) {
          w.isKilled = true;
          t.killForMemory({ limitBytes: t.memoryLimitBytes, usageBytes: u.rssBytes }, u.pids);
          continue;
        }
      }
      if (now - w.at < this.opts.intervalMs) continue;
      const next = { cpuMilli: cpuMilli(u.cpuTicks - w.ticks, now - w.at), memoryBytes: u.rssBytes, sampledAt };
      w.at = now;
      w.ticks = u.cpuTicks;
      if (isUsageChanged(w.reported, next, TASK_FLOOR)) {
        w.reported = next;
        t.report(next);
      }
    }
    if (this.windows.size > tasks.length) {
      const live = new Set(tasks.map((t) => t.uid));
      for (const uid of this.windows.keys()) if (!live.has(uid)) this.windows.delete(uid);
    }
    this.measureMachine(now, sampledAt);
    return hasLimits ? Math.min(this.opts.intervalMs, this.opts.memoryCheckMs) : this.opts.intervalMs;
  }

  private measureMachine(now: number, sampledAt: string): void {
    const m = this.machine;
    if (m && (now - m.at < this.opts.intervalMs || m.isSending)) return;
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

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      let next = this.opts.intervalMs;
      try {
        next = this.pass();
      } catch (err) {
        this.opts.onError(err, 'usage pass');
      }
      if (!this.closed) this.schedule(next);
    }, ms);
    // The monitor never keeps a process alive on its own.
    this.timer.unref();
  }
}

function cpuMilli(ticks: number, elapsedMs: number): number {
  if (elapsedMs <= 0) return 0;
  return Math.max(0, Math.round(((ticks / TICKS_PER_SECOND) * 1000 * 1000) / elapsedMs));
}
