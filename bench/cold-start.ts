// cold-start: `node bin/drover.js dev --agents 3` as a child process until 3 machines are Ready,
// vs. the start of a bare `node -e ''` measured the same way in the same run; then SIGTERM → exit
// of that `drover dev` (no tasks), vs. a bare node:http server that exits on SIGTERM.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row } from './report.js';
import { benchDir, percentile, sortNumbers, tempDir, until } from './lib/util.js';

const bin = join(benchDir, '..', '..', 'bin', 'drover.js');

async function bareNodeMs(): Promise<number> {
  const t0 = performance.now();
  const p = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => p.once('exit', r));
  return performance.now() - t0;
}

/** SIGTERM → exit of a node:http server listening with a client's keep-alive connection open, exiting on SIGTERM. */
async function bareExitMs(): Promise<number> {
  const p = spawn(process.execPath, ['-e', "const s = require('http').createServer((q, r) => r.end('ok')).listen(0, '127.0.0.1', () => console.log(s.address().port)); process.on('SIGTERM', () => s.close(() => process.exit(0)) && s.closeAllConnections())"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((r) => p.stdout!.once('data', (d: Buffer) => r(Number(d.toString().trim()))));
  await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
  const exited = new Promise((r) => p.once('exit', r));
  const t0 = performance.now();
  p.kill('SIGTERM');
  await exited;
  return performance.now() - t0;
}

/** A port nothing listens on now (the kernel's pick), for a server that takes it a moment later. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** `drover dev` to 3 Ready and SIGTERM → exit; a port taken meanwhile by someone else is tried again on another. */
async function devToReadyMs(): Promise<{ readyMs: number; exitMs: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await devOnce(await freePort());
    } catch (err) {
      // A random port in the ephemeral range was once held by another process's connection.
      if (attempt === 3 || !/EADDRINUSE/.test(String(err))) throw err;
    }
  }
}

async function devOnce(port: number): Promise<{ readyMs: number; exitMs: number }> {
  const dir = tempDir('cold');
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const p = spawn(process.execPath, [bin, 'dev', '--agents', '3', '--listen', `127.0.0.1:${port}`, '--data', dir.path], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise((r) => p.once('exit', r));
  try {
    await until(
      async () => {
        if (p.exitCode !== null) throw new Error(`drover dev exited with code ${p.exitCode}: ${stderr.trim()}`);
        try {
          // drover dev authenticates: its admin token is in the data dir once the server is up.
          const tokenFile = join(dir.path, 'server', 'admin.token');
          if (!existsSync(tokenFile)) return false;
          const res = await fetch(`${url}/api/v1/machines`, { headers: { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` } });
          if (!res.ok) return false;
          const list = (await res.json()) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] };
          return list.items.filter((m) => m.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 3;
        } catch {
          return false;
        }
      },
      20_000,
      '3 Ready machines',
      10,
    );
    const readyMs = performance.now() - t0;
    const t1 = performance.now();
    p.kill('SIGTERM');
    await exited;
    return { readyMs, exitMs: performance.now() - t1 };
  } finally {
    p.kill('SIGTERM');
    await exited;
    dir.remove();
  }
}

export async function coldStart({ quick }: { quick: boolean }): Promise<Row[]> {
  const runs = quick ? 1 : 3;
  const dev: number[] = [];
  const devExit: number[] = [];
  const bare: number[] = [];
  const bareExit: number[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(await bareNodeMs());
    const { readyMs, exitMs } = await devToReadyMs();
    dev.push(readyMs);
    devExit.push(exitMs);
    bareExit.push(await bareExitMs());
  }
  const d = percentile(sortNumbers(dev), 50);
  const b = percentile(sortNumbers(bare), 50);
  const de = percentile(sortNumbers(devExit), 50);
  const be = percentile(sortNumbers(bareExit), 50);
  return [
    { benchmark: 'cold-start', metric: `drover dev --agents 3 → 3 Ready (median of ${runs})`, value: d, unit: 'ms', baseline: { name: "node -e ''", value: b }, ratio: b / d, target: '≤ 2,000 ms', met: d <= 2000 },
    { benchmark: 'cold-start', metric: `drover dev --agents 3, no tasks: SIGTERM → exit (median of ${runs})`, value: de, unit: 'ms', baseline: { name: 'node:http server exiting on SIGTERM', value: be }, ratio: be / de, target: '≤ 1,000 ms', met: de <= 1000 },
  ];
}
