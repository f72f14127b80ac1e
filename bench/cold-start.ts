// cold-start: `node bin/drover.js dev --agents 3` as a child process until 3 machines are Ready,
// vs. the start of a bare `node -e ''` measured the same way in the same run.
import { spawn } from 'node:child_process';
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

async function devToReadyMs(): Promise<number> {
  const dir = tempDir('cold');
  const port = 20_000 + Math.floor(Math.random() * 20_000);
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
          const res = await fetch(`${url}/api/v1/machines`);
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
    return performance.now() - t0;
  } finally {
    p.kill('SIGTERM');
    await exited;
    dir.remove();
  }
}

export async function coldStart({ quick }: { quick: boolean }): Promise<Row[]> {
  const runs = quick ? 1 : 3;
  const dev: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(await bareNodeMs());
    dev.push(await devToReadyMs());
  }
  const d = percentile(sortNumbers(dev), 50);
  const b = percentile(sortNumbers(bare), 50);
  return [{ benchmark: 'cold-start', metric: `drover dev --agents 3 → 3 Ready (median of ${runs})`, value: d, unit: 'ms', baseline: { name: "node -e ''", value: b }, ratio: b / d, target: '≤ 2,000 ms', met: d <= 2000 }];
}
