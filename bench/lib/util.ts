// Shared pieces of the benchmarks: a drover server in a child process (so its CPU and RSS are
// its own), temp dirs, percentiles, and waiting on a condition with a deadline.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = dirname(dirname(fileURLToPath(import.meta.url)));

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `drover-bench-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface ServerChild {
  url: string;
  /** URL of the bare node:http baseline in the same process, once `bare()` was called. */
  child: ChildProcess;
  /** Starts a bare node:http server in the server's process answering `path`'s current bytes. */
  bare(path: string): Promise<string>;
  /** Peak resident set size of the server process so far (VmHWM), bytes. */
  peakRssBytes(): number;
  rssBytes(): number;
  close(): Promise<void>;
}

export async function startServerChild(opts: { controllers: boolean; machineGraceSeconds?: number; execArgv?: string[] }): Promise<ServerChild> {
  const dir = tempDir('server');
  const child = fork(join(benchDir, 'lib', 'server-child.js'), [dir.path, String(opts.controllers), String(opts.machineGraceSeconds ?? 15)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // BENCH_SERVER_PROF=dir: CPU-profile the server process (node --cpu-prof) into dir.
    execArgv: opts.execArgv ?? (process.env.BENCH_SERVER_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SERVER_PROF] : []),
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`bench server exited with code ${code}`)));
  });
  const status = (field: string) => {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  };
  return {
    url,
    child,
    bare: (path) =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve((m as { bare: string }).bare));
        child.send({ bare: path });
      }),
    peakRssBytes: () => status('VmHWM'),
    rssBytes: () => status('VmRSS'),
    close: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      dir.remove();
    },
  };
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function sortNumbers(xs: number[]): number[] {
  return xs.sort((a, b) => a - b);
}

export async function until(cond: () => boolean | Promise<boolean>, deadlineMs: number, what: string, everyMs = 20): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one host. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
