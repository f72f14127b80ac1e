// dataset-move: MB/s a dataset's files move between two agents on this machine (each its own
// process, through the server, TLS both ways, sha256 and fsync of every file), from the primary
// change to the target's commit, vs. `tar c | tar x` of the same bytes plus a sync of the
// target's file system, measured in the same run. Target: ≥ 0.5 of the baseline.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '../src/client/client.js';
import type { Row } from './report.js';
import { benchDir, startServerChild, tempDir, until } from './lib/util.js';

const bin = join(benchDir, '..', '..', 'bin', 'drover.js');
const MB = 1024 * 1024;

/** `files` files of 4 MB of random bytes under `dir`, half of them one directory down. */
function makeTree(dir: string, files: number): void {
  mkdirSync(join(dir, 'sub'), { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(dir, i % 2 ? 'sub' : '', `f${i}.bin`), randomBytes(4 * MB));
}

async function tarPipeMs(from: string, to: string): Promise<number> {
  mkdirSync(to, { recursive: true });
  const t0 = performance.now();
  const c = spawn('tar', ['-C', from, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const x = spawn('tar', ['-C', to, '-xf', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
  c.stdout!.pipe(x.stdin!);
  await Promise.all([exit(c), exit(x)]);
  await exit(spawn('sync', ['-f', to], { stdio: 'ignore' }));
  return performance.now() - t0;
}

function exit(p: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${p.spawnfile} exited with ${code}`)))));
}

export async function datasetMove({ quick }: { quick: boolean }): Promise<Row[]> {
  const files = quick ? 6 : 50; // 24 MB or 200 MB
  const server = await startServerChild({ controllers: true });
  const dir = tempDir('dataset-move');
  const agents: ChildProcess[] = [];
  const client = new Client({ server: server.url });
  try {
    const ids = ['a', 'b'].map(() => randomBytes(16).toString('hex'));
    for (const [i, id] of ids.entries()) {
      agents.push(spawn(process.execPath, [bin, 'agent', '--server', server.url, '--data', join(dir.path, `agent-${i}`), '--id', id, '--log-level', 'warn'], { stdio: 'ignore' }));
    }
    await until(async () => (await client.machines.list()).items.filter((m) => m.status?.datasetBackends).length === 2, 30_000, 'both agents to register');
    await client.datasets.create({ metadata: { name: 'bench' }, spec: { primary: ids[0] } });
    let path = '';
    await until(async () => !!(path = (await client.datasets.get('bench')).status?.path ?? ''), 20_000, 'the dataset to be created');
    makeTree(path, files);
    const bytes = files * 4 * MB;

    const baselineMs = await tarPipeMs(path, join(dir.path, 'tar-copy'));
    const t0 = performance.now();
    await client.datasets.patch('bench', { spec: { primary: ids[1] } });
    await until(async () => (await client.datasets.get('bench')).status?.machine === ids[1], 600_000, 'the move to commit', 50);
    const moveMs = performance.now() - t0;

    const mbps = bytes / MB / (moveMs / 1000);
    const baseline = bytes / MB / (baselineMs / 1000);
    const ratio = mbps / baseline;
    return [{ benchmark: 'dataset-move', metric: `${bytes / MB} MB of files moved between two agents`, value: mbps, unit: 'MB/s', baseline: { name: 'tar c | tar x + sync', value: baseline }, ratio, target: '≥ 0.5× baseline', met: ratio >= 0.5 }];
  } finally {
    for (const a of agents) a.kill('SIGTERM');
    await Promise.all(agents.map((a) => (a.exitCode === null ? new Promise((r) => a.once('exit', r)) : undefined)));
    await server.close();
    dir.remove();
  }
}
