// Hollow machines for the benchmarks, in child processes (bench/lib/hollow-child.ts): real agent
// code against the server, but off the bench process's event loop, which submits the workload
// and must not compete with thousands of agents for one core.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDir } from './util.js';

export interface HollowFleet {
  /** Hollow runs started so far, over all children (a task bound and seen by its agent). */
  started(): number;
  /** Resolves when every machine has registered. */
  registered: Promise<void>;
  /** The fleet's processes (CPU accounting). */
  pids: number[];
  close(): Promise<void>;
}

export interface HollowFleetOptions {
  server: string;
  machines: number;
  /** Child processes to split the fleet over (default 1). */
  processes?: number;
  heartbeatMs?: number;
}

export function startHollowFleet(opts: HollowFleetOptions): HollowFleet {
  const n = Math.max(1, Math.min(opts.processes ?? 1, opts.machines));
  const children: ChildProcess[] = [];
  const started: number[] = new Array(n).fill(0);
  const registrations: Promise<void>[] = [];
  // The machines' task files, in memory when it can be (as createHollowAgents would put them), made
  // and removed here: a child killed while it closed left its files behind, and after a few runs
  // of 100,000 tasks /dev/shm had no inodes left (later runs bound 63,605 tasks, then stalled).
  const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'drover-hollow-'));
  let first = 0;
  for (let c = 0; c < n; c++) {
    const count = Math.floor(opts.machines / n) + (c < opts.machines % n ? 1 : 0);
    const dataDir = join(root, String(c));
    mkdirSync(dataDir);
    const args = JSON.stringify({ server: opts.server, count, first, heartbeatMs: opts.heartbeatMs ?? 10_000, dataDir });
    first += count;
    const child = fork(join(benchDir, 'lib', 'hollow-child.js'), [args], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // BENCH_HOLLOW_PROF=dir: CPU-profile the fleet's processes into dir.
      execArgv: [...(process.env.BENCH_HOLLOW_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_HOLLOW_PROF] : []), ...(process.env.BENCH_HOLLOW_FLAGS?.split(' ').filter(Boolean) ?? [])],
    });
    children.push(child);
    registrations.push(
      new Promise((resolve, reject) => {
        child.on('message', (m: { started?: number; registered?: number }) => {
          if (m.started !== undefined) started[c] = m.started;
          if (m.registered !== undefined) resolve();
        });
        child.once('exit', (code) => reject(new Error(`hollow fleet process exited with code ${code} before its machines registered`)));
      }),
    );
  }
  const registered = Promise.all(registrations).then(() => {});
  registered.catch(() => {});
  return {
    started: () => started.reduce((a, b) => a + b, 0),
    registered,
    pids: children.map((c) => c.pid!),
    close: async () => {
      await Promise.all(
        children.map((child) => {
          if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          // A fleet that does not finish closing in time is not worth waiting for.
          const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
          return exited.finally(() => clearTimeout(t));
        }),
      );
      rmSync(root, { recursive: true, force: true });
    },
  };
}
