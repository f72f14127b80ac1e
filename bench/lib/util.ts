// Shared pieces of the benchmarks: a drover server in a child process (so its CPU and RSS are
// its own), on SQLite or on an etcd the bench starts, temp dirs, percentiles, and waiting on a
// condition with a deadline.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
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
  /** With `secure`: the admin token and the CA a client needs. */
  token?: string;
  ca?: string;
  /** URL of the bare node:http baseline in the same process, once `bare()` was called. */
  child: ChildProcess;
  /** Starts a bare node:http server in the server's process answering `path`'s current bytes. */
  bare(path: string): Promise<string>;
  /** Peak resident set size of the server process so far (VmHWM), bytes. */
  peakRssBytes(): number;
  rssBytes(): number;
  close(): Promise<void>;
}

export interface ServerChildOptions {
  controllers: boolean;
  machineGraceSeconds?: number;
  execArgv?: string[];
  /** Keep state in this etcd (under a fresh key prefix) instead of SQLite in a temp dir. */
  etcd?: { endpoints: string[] };
  /** HTTPS from the cluster CA and authentication, as `drover server` serves by default; the bare baseline then serves HTTPS too. */
  secure?: boolean;
}

let prefixes = 0;

export async function startServerChild(opts: ServerChildOptions): Promise<ServerChild> {
  const dir = tempDir('server');
  const etcd = opts.etcd ? { endpoints: opts.etcd.endpoints, prefix: `/bench-${process.pid}-${++prefixes}` } : undefined;
  const args = [dir.path, String(opts.controllers), String(opts.machineGraceSeconds ?? 15), JSON.stringify({ ...(etcd ? { etcd } : {}), secure: !!opts.secure })];
  const child = fork(join(benchDir, 'lib', 'server-child.js'), args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // BENCH_SERVER_PROF=dir: CPU-profile the server process (node --cpu-prof) into dir.
    execArgv: opts.execArgv ?? [...(process.env.BENCH_SERVER_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SERVER_PROF] : []), ...(process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? [])],
  });
  const { url, token, ca } = await new Promise<{ url: string; token?: string; ca?: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { url: string; token?: string; ca?: string }));
    child.once('exit', (code) => reject(new Error(`bench server exited with code ${code}`)));
  });
  const status = (field: string) => {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  };
  let closing: Promise<void> | undefined;
  return {
    url,
    ...(token ? { token } : {}),
    ...(ca ? { ca } : {}),
    child,
    bare: (path) =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve((m as { bare: string }).bare));
        child.send({ bare: path });
      }),
    peakRssBytes: () => status('VmHWM'),
    rssBytes: () => status('VmRSS'),
    // Idempotent: a benchmark may stop a server early and again in its cleanup.
    close: () =>
      (closing ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await exited;
        }
        dir.remove();
      })()),
  };
}

/** CPU time a process has used (utime + stime, fields 14 and 15 of /proc/PID/stat), in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
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

/** `p`, or a rejection naming `what` after `ms`; the timer never outlives the race. */
export async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export const ETCD_BIN = '/usr/bin/etcd';

export interface EtcdProcess {
  endpoints: string[];
  close(): Promise<void>;
}

/**
 * Debian's etcd 3.4 on loopback (free ports, a temp data dir), answering when this resolves;
 * undefined when it is not installed. Single member, fsync'd like any etcd.
 */
export async function startEtcd(): Promise<EtcdProcess | undefined> {
  if (!existsSync(ETCD_BIN)) return undefined;
  const dir = tempDir('etcd');
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const proc = spawn(
    ETCD_BIN,
    ['--data-dir', dir.path, '--listen-client-urls', url, '--advertise-client-urls', url, '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `default=${peerUrl}`, '--log-level', 'error'],
    { stdio: 'ignore' },
  );
  const exited = new Promise((r) => proc.once('exit', r));
  const close = async () => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await exited;
    dir.remove();
  };
  try {
    await until(
      async () => {
        if (proc.exitCode !== null) throw new Error(`etcd exited with code ${proc.exitCode}`);
        return fetch(`${url}/health`).then((r) => r.ok, () => false);
      },
      15_000,
      'etcd to answer',
      50,
    );
  } catch (err) {
    await close();
    throw err;
  }
  return { endpoints: [url], close };
}
