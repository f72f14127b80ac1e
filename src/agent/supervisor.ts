// One run of a task under its shim (native/drover-shim.c). The shim is the task's parent,
// survives agent restarts, and records the exit status in the task's run directory; this class
// starts a shim, or adopts one a previous agent started, signals the task and learns its end.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import { isAlive, parseProcessId, readStat, type ProcessId } from './proc.js';

export interface RunSpec {
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  /** The uid and gid the task runs as (see run-as.ts); none: the agent's (root). */
  credentials?: { uid: number; gid: number };
}

export interface ExitStatus {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  /** Signal name (SIGKILL…), or null. */
  signal: string | null;
  finishedAt: Date;
  /** Set when the agent killed the run for using more memory than its limit. */
  memoryExceeded?: MemoryExceeded;
}

export interface MemoryExceeded {
  limitBytes: number;
  /** What the run's processes used when they were killed. */
  usageBytes: number;
}

const POLL_MS = 200;

export class Supervised {
  /** Resolves once the task and everything it left behind have exited. */
  readonly exited: Promise<ExitStatus>;
  private resolveExit!: (s: ExitStatus) => void;
  private timer?: NodeJS.Timeout;
  private done = false;

  private constructor(
    readonly dir: string,
    readonly shim: ProcessId | undefined,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  /** Writes the run spec into `dir` and starts a shim on it. */
  static async start(dir: string, spec: RunSpec, shimPath: string, logMaxBytes: number): Promise<Supervised> {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'argv'), spec.argv.map((a) => a + '\0').join(''));
    // The environment may hold secret values: readable by the agent's user alone, like the secret files.
    rmSync(join(dir, 'env'), { force: true });
    writeFileSync(
      join(dir, 'env'),
      Object.entries(spec.env)
        .map(([k, v]) => `${k}=${v}\0`)
        .join(''),
      { mode: 0o600 },
    );
    writeFileSync(join(dir, 'cwd'), spec.cwd ?? '');
    if (spec.credentials) writeFileSync(join(dir, 'credentials'), `${spec.credentials.uid} ${spec.credentials.gid}\n`);
    const child = spawn(shimPath, [dir], {
      detached: true,
      stdio: 'ignore',
      env: { PATH: spec.env.PATH ?? process.env.PATH ?? '/usr/bin:/bin', DROVER_LOG_MAX: String(logMaxBytes) },
    });
    child.unref();
    const run = new Supervised(dir, child.pid ? { pid: child.pid, startTime: readStat(child.pid)?.startTime ?? 0 } : undefined);
    child.once('error', () => run.finish());
    child.once('exit', () => run.finish());
    return run;
  }

  /** Re-attaches to a run whose shim a previous agent started; also for runs that already ended. */
  static adopt(dir: string): Supervised | undefined {
    if (!existsSync(join(dir, 'argv'))) return undefined;
    const shim = readId(join(dir, 'shim.pid'));
    const run = new Supervised(dir, shim);
    run.poll();
    return run;
  }

  /** The task's own process (its process group leader), once the shim has started it. */
  get pid(): ProcessId | undefined {
    return readId(join(this.dir, 'pid'));
  }

  get isRunning(): boolean {
    return !this.done;
  }

  /** Waits until the shim reports the task's pid (or the run ends first). */
  async waitStarted(timeoutMs = 5_000): Promise<ProcessId | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 1; Date.now() < deadline; delay = Math.min(delay * 2, 20)) {
      const id = this.pid;
      if (id || this.done) return id;
      await new Promise((r) => setTimeout(r, delay));
    }
    return this.pid;
  }

  /** Sends a signal to the task's process group and to anything the shim adopted. */
  signal(signal: NodeJS.Signals): boolean {
    if (this.done || !this.shim || !isAlive(this.shim)) return false;
    let sent = false;
    const id = this.pid;
    if (id) sent = tryKill(-id.pid, signal) || sent;
    // Daemons that left the group were reparented to the shim (it is a subreaper).
    for (const child of childrenOf(this.shim.pid)) sent = tryKill(child, signal) || sent;
    return sent;
  }

  /** SIGTERM (or `signal`), then SIGKILL after the grace period; resolves when the run has ended. */
  async stop(graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitStatus> {
    if (!this.signal(signal) && !this.done) this.poll();
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Kills the run for using more memory than its limit. Why is written down first, beside the
   * exit the shim will record, so the run's end says so even to an agent restarted meanwhile;
   * then SIGKILL to its group, the shim's other children, and `pids` (its processes as last
   * measured: those that left both).
   */
  killForMemory(exceeded: MemoryExceeded, pids: number[]): void {
    if (this.done) return;
    const tmp = join(this.dir, '.oom.tmp');
    writeFileSync(tmp, `${exceeded.limitBytes} ${exceeded.usageBytes}\n`);
    renameSync(tmp, join(this.dir, 'oom'));
    this.signal('SIGKILL');
    for (const pid of pids) tryKill(pid, 'SIGKILL');
  }

  /** Stops watching without touching the processes (the agent is shutting down). */
  detach(): void {
    clearTimeout(this.timer);
  }

  private poll(): void {
    if (this.done) return;
    // A zombie shim counts as gone: nobody may ever reap it (PID 1 here does not).
    if (!this.shim || !isAlive(this.shim)) return this.finish();
    this.timer = setTimeout(() => this.poll(), POLL_MS);
    this.timer.unref();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.resolveExit(readExit(this.dir));
  }
}

/** The environment a run in `dir` was started with (the shim's env file), or undefined when it has none. */
export function readRunEnv(dir: string): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, 'env'), 'utf8');
  } catch {
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

export function readExit(dir: string): ExitStatus {
  let text: string;
  try {
    text = readFileSync(join(dir, 'exit'), 'utf8');
  } catch {
    // The shim died without recording an end (killed itself): the outcome is unknown.
    return { code: null, signal: 'SIGKILL', finishedAt: new Date() };
  }
  const [kind, value, at] = text.trim().split(/\s+/);
  const n = Number(value);
  const finishedAt = new Date(Number(at) || Date.now());
  if (kind !== 'signal') return { code: n, signal: null, finishedAt };
  const signal = signalName(n);
  // Only a SIGKILL is ours: a record left by an agent that died before killing does not explain another end.
  const memoryExceeded = signal === 'SIGKILL' ? readMemoryExceeded(dir) : undefined;
  return { code: null, signal, finishedAt, ...(memoryExceeded && { memoryExceeded }) };
}

function readMemoryExceeded(dir: string): MemoryExceeded | undefined {
  try {
    const [limitBytes, usageBytes] = readFileSync(join(dir, 'oom'), 'utf8').trim().split(' ').map(Number);
    return Number.isFinite(limitBytes) && Number.isFinite(usageBytes) ? { limitBytes: limitBytes!, usageBytes: usageBytes! } : undefined;
  } catch {
    return undefined;
  }
}

function signalName(n: number): string {
  const found = Object.entries(constants.signals).find(([, v]) => v === n);
  return found ? found[0] : `SIG${n}`;
}

function readId(path: string): ProcessId | undefined {
  try {
    return parseProcessId(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function tryKill(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Live children of a process, from /proc (ppid is field 4). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[1]) === ppid && rest[0] !== 'Z') out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
