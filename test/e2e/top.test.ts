// End to end: what tasks use, measured by a real agent from /proc, in status and in `drover top`;
// a memory limit enforced on a real process.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { cli } from '../cli/drover.js';
import { tempDir, until } from '../helpers.js';
import { processesWith, startCluster, type Cluster } from './cluster.js';

const MiB = 2 ** 20;
/** Python holding `mib` MiB it has written to (so it is resident), then idle. */
const hold = (mib: number) => ['python3', '-c', `import time; b = b'x' * (${mib} << 20); time.sleep(600)`];

describe('drover top: usage measured by the agents', () => {
  let c: Cluster;
  let drover: ReturnType<typeof cli>;
  const dir = tempDir('drover-top-');
  before(async () => {
    // Short intervals so figures arrive within a test's deadline; the defaults are 10 s and 5 s.
    c = await startCluster(1, { secure: true, agentArgs: ['--usage-interval', '0.5', '--memory-check-interval', '0.2'] });
    drover = cli(c.server.url, c.server.adminToken);
  });
  after(async () => {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(processesWith(c.marker), [], 'no task process may outlive the suite');
  });

  const task = (name: string) => c.client.tasks.get(name);

  it('reports the CPU of a busy task and the memory of a task holding 100 MiB, and top shows them', async () => {
    await c.client.tasks.create({ metadata: { name: 'burner' }, spec: { template: { command: ['sh', '-c', 'while :; do :; done'], env: c.env() } } });
    await c.client.tasks.create({ metadata: { name: 'holder' }, spec: { template: { command: hold(100), env: c.env(), resources: { memory: '512Mi' } } } });
    await until(async () => ((await task('burner')).status?.usage?.cpuMilli ?? 0) >= 200, 'the busy loop to show at least 200m');
    const held = await until(async () => {
      const u = (await task('holder')).status?.usage;
      return u && u.memoryBytes >= 100 * MiB && u;
    }, 'the holder to show 100 MiB');
    assert.ok(held.memoryBytes < 512 * MiB, `python with 100 MiB holds ${held.memoryBytes} bytes`);
    assert.ok(Date.parse(held.sampledAt) > 0);
    const machine = await until(async () => (await c.client.machines.get(c.agents[0]!.id)).status?.usage, 'machine usage');
    assert.ok(machine.memoryBytes >= 100 * MiB, 'the machine holds at least what its task holds');

    // The holder's first window may include its allocating: wait until it has gone idle.
    await until(async () => ((await task('holder')).status?.usage?.cpuMilli ?? Infinity) < ((await task('burner')).status?.usage?.cpuMilli ?? 0), 'the holder to be idle');
    const byCpu = rows(await drover.ok(['top', 'tasks', '--sort-by', 'cpu']));
    assert.deepEqual(byCpu[0], ['NAME', 'MACHINE', 'CPU', 'MEMORY', 'LIMIT']);
    assert.deepEqual(byCpu.slice(1).map((r) => r[0]), ['burner', 'holder']);
    const holderRow = byCpu.find((r) => r[0] === 'holder')!;
    assert.equal(holderRow[1], c.agents[0]!.id.slice(0, 8));
    assert.match(holderRow[3]!, /^\d+Mi$/);
    assert.ok(Number.parseInt(holderRow[3]!) >= 100, `holder shows ${holderRow[3]}`);
    assert.equal(holderRow[4], '512Mi');
    assert.equal(byCpu.find((r) => r[0] === 'burner')![4], '-');
    assert.deepEqual(rows(await drover.ok(['top', 'tasks', '--sort-by', 'memory'])).slice(1).map((r) => r[0]), ['holder', 'burner']);

    const machines = rows(await drover.ok(['top', 'machines']));
    assert.deepEqual(machines[0], ['NAME', 'CPU', 'CPU%', 'MEMORY', 'MEMORY%', 'TASKS']);
    assert.equal(machines[1]![0], c.agents[0]!.id);
    assert.match(machines[1]![1]!, /^\d+m\/\d+m$/);
    assert.match(machines[1]![3]!, /^\d+Mi\/\d+Mi$/);
    assert.equal(machines[1]![5], '2');
    for (const name of ['burner', 'holder']) await c.client.tasks.delete(name);
  });

  it('kills a task that passes its memory limit with reason OOMKilled, and restarts it per its policy', async () => {
    // The first run allocates 200 MiB against a 64Mi limit; the run after the restart only sleeps.
    const script = `if [ -e ran ]; then exec sleep 600; fi; touch ran; exec ${hold(200).map((a) => `'${a.replace(/'/g, `'"'"'`)}'`).join(' ')}`;
    await c.client.tasks.create({
      metadata: { name: 'leaky' },
      spec: { template: { command: ['sh', '-c', script], workingDir: dir, env: c.env(), resources: { memory: '64Mi' }, restartPolicy: 'on-failure' } },
    });
    await c.client.tasks.create({ metadata: { name: 'leaky-once' }, spec: { template: { command: hold(200), env: c.env(), resources: { memory: '64Mi' }, restartPolicy: 'never' } } });

    const failed = await until(async () => {
      const t = await task('leaky-once');
      return t.status?.phase === 'Failed' && t;
    }, 'the task without restarts to fail');
    assert.equal(failed.status?.reason, 'OOMKilled');
    assertOomMessage(failed.status?.message);
    assert.equal(failed.status?.signal, 'SIGKILL');
    assert.equal(failed.status?.exitCode ?? null, null, 'no exit code: killed by a signal');

    const restarted = await until(async () => {
      const t = await task('leaky');
      return t.status?.phase === 'Running' && t.status.restarts === 1 && t.status.lastTermination && t;
    }, 'the leaky task to run again after one restart');
    assert.equal(restarted.status?.lastTermination?.reason, 'OOMKilled');
    assert.equal(restarted.status?.lastTermination?.signal, 'SIGKILL');
    assertOomMessage(restarted.status?.lastTermination?.message);

    const top = rows(await drover.ok(['top', 'tasks']));
    assert.equal(top.find((r) => r[0] === 'leaky')?.[4], '64Mi');
    await c.client.tasks.delete('leaky');
  });
});

function assertOomMessage(message: string | undefined): void {
  assert.match(message ?? '', /memory limit of 64Mi/, 'names the limit');
  const used = /used (\d+(?:\.\d+)?)Mi/.exec(message ?? '');
  assert.ok(used && Number(used[1]) > 64, `names a usage past the limit: ${message}`);
}

function rows(table: string): string[][] {
  return table
    .trim()
    .split('\n')
    .map((l) => l.split(/\s{2,}/));
}
