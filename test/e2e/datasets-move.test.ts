// Datasets with real agents and real files: created on their primary, moved with every byte
// (sha256 of each file, modes, a symlink, an empty file) when the primary changes, the source's
// copy removed only after the move committed; a task sees its dataset at its path and in
// DROVER_VOLUME_<NAME>, and holds a move until it stops; only the new primary may read the bytes.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { volumeEnvName } from '../../src/model/index.js';
import { tempDir, until } from '../helpers.js';
import { startCluster, type Cluster } from './cluster.js';
import { fillTree, fingerprint, heldOn } from './dataset-files.js';

describe('datasets on real agents', () => {
  let c: Cluster;
  let a: string;
  let b: string;
  before(async () => {
    c = await startCluster(2, { secure: true });
    a = c.agents[0]!.id;
    b = c.agents[1]!.id;
  });
  after(() => c.close());

  it('a dataset is created on its primary, moves with identical bytes, and leaves nothing behind on the source', async () => {
    await c.client.datasets.create({ metadata: { name: 'photos' }, spec: { primary: a } });
    const onA = await heldOn(c.client, 'photos', a);
    const pathA = onA.status!.path!;
    assert.ok(pathA.startsWith(c.agents[0]!.dataDir), `the copy lives under the agent's data dir (${pathA})`);
    fillTree(pathA, 4);
    const before = fingerprint(pathA);

    await c.client.datasets.patch('photos', { spec: { primary: b } });
    const onB = await heldOn(c.client, 'photos', b);
    const pathB = onB.status!.path!;
    assert.ok(pathB.startsWith(c.agents[1]!.dataDir));
    assert.equal(fingerprint(pathB), before, 'every entry arrived identical (bytes, modes, symlink, empty file)');
    assert.ok(onB.status!.size! >= 4 * 1024 * 1024, `size reported: ${onB.status!.size}`);
    await until(() => !existsSync(pathA), 'the source copy to be removed after the commit');
    assert.deepEqual(readdirOrEmpty(join(c.agents[1]!.dataDir, 'datasets', '.staging')), [], 'no staging left on the target');
  });

  it('the machines say which backends they offer', async () => {
    const m = await c.client.machines.get(a);
    assert.ok(m.status?.datasetBackends?.includes('directory'));
    const loop = m.status?.conditions?.find((x) => x.type === 'LoopbackDatasets');
    assert.ok(loop, 'the LoopbackDatasets condition is set');
    assert.equal(m.status?.datasetBackends?.includes('loopback'), loop.status === 'True');
  });

  it('only the new primary may read a dataset\'s content: the holder and other agents get 403', async () => {
    await c.client.datasets.create({ metadata: { name: 'secret-data' }, spec: { primary: a } });
    await heldOn(c.client, 'secret-data', a);
    for (const agent of c.agents) {
      const token = readFileSync(join(agent.dataDir, 'identity', 'node.token'), 'utf8').trim();
      const res = await fetch(`${c.server.url}/api/v1/namespaces/default/datasets/secret-data/content`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 403, `agent ${agent.id} (holder or not primary) is refused: ${await res.text()}`);
    }
  });

  it('a task sees its dataset at its path and in DROVER_VOLUME_<NAME>; a move waits for it to stop', async () => {
    await c.client.datasets.create({ metadata: { name: 'work-vol' }, spec: { primary: a } });
    const ds = await heldOn(c.client, 'work-vol', a);
    const path = ds.status!.path!;
    fillTree(path, 1);
    const wd = tempDir('drover-vol-wd-');
    const abs = join(tempDir('drover-vol-abs-'), 'mnt', 'data');
    const env = volumeEnvName('work-vol');
    const script = `cat data/nested/deeper/note.txt > "$${env}/via-link" && cat "${abs}/nested/deeper/note.txt" > "$${env}/via-abs" && echo "$${env}" > "$${env}/env" && exec sleep 300`;
    await c.client.tasks.create({
      metadata: { name: 'uses-vol' },
      spec: { machine: a, template: { command: ['sh', '-c', script], workingDir: wd, env: c.env(), volumes: [{ dataset: 'work-vol', path: 'data' }, { dataset: 'work-vol', path: abs }] } },
    });
    await until(() => existsSync(join(path, 'env')), 'the task to write through its volume', 20_000);
    assert.equal(readFileSync(join(path, 'via-link'), 'utf8'), 'hello from the dataset\n');
    assert.equal(readFileSync(join(path, 'via-abs'), 'utf8'), 'hello from the dataset\n');
    assert.equal(readFileSync(join(path, 'env'), 'utf8').trim(), path);

    // Moving it while the task runs: the move waits, and says why.
    await c.client.datasets.patch('work-vol', { spec: { primary: b } });
    const waiting = await until(async () => {
      const d = await c.client.datasets.get('work-vol');
      return d.status?.move?.phase === 'Waiting' && d;
    }, 'the move to wait for the task');
    assert.equal(waiting.status?.machine, a);
    assert.match(waiting.status!.move!.message!, /task run/);
    const expected = fingerprint(path);
    await c.client.tasks.delete('uses-vol');
    const onB = await heldOn(c.client, 'work-vol', b);
    assert.equal(fingerprint(onB.status!.path!), expected);
  });

  it("a service's task follows its dataset: placed on the primary, replaced on the new one after a move, finding every byte there", async () => {
    await c.client.datasets.create({ metadata: { name: 'svc-vol' }, spec: { primary: a } });
    await heldOn(c.client, 'svc-vol', a);
    const env = volumeEnvName('svc-vol');
    // Each run appends the machine it ran on: what the first wrote must be there for the second.
    const script = `echo "$DROVER_MACHINE" >> "$${env}/runs" && exec sleep 300`;
    await c.client.services.create({ metadata: { name: 'follows' }, spec: { replicas: 1, template: { command: ['sh', '-c', script], env: c.env(), volumes: [{ dataset: 'svc-vol', path: 'data' }] } } });
    const runningOn = (machine: string) => async () => {
      const tasks = (await c.client.tasks.list()).items.filter((t) => t.metadata.ownerReferences?.[0]?.name === 'follows');
      return tasks.length === 1 && tasks[0]!.spec.machine === machine && tasks[0]!.status?.phase === 'Running' && tasks[0]!;
    };
    await until(runningOn(a), 'the service task to run on the primary', 20_000);
    await until(async () => existsSync(join((await c.client.datasets.get('svc-vol')).status!.path!, 'runs')), 'the first run to write');

    await c.client.datasets.patch('svc-vol', { spec: { primary: b } });
    await until(runningOn(b), 'the replacement to run on the new primary', 30_000);
    const onB = await heldOn(c.client, 'svc-vol', b);
    const runs = await until(() => {
      const lines = readFileSync(join(onB.status!.path!, 'runs'), 'utf8').trim().split('\n');
      return lines.length === 2 && lines;
    }, 'the second run to append');
    assert.deepEqual(runs, [a, b], 'the first run wrote on the old primary, the second found it on the new one');
    await c.client.services.delete('follows');
  });

  it('a task whose dataset is on another machine waits, and says why', async () => {
    await c.client.datasets.create({ metadata: { name: 'elsewhere' }, spec: { primary: b } });
    await heldOn(c.client, 'elsewhere', b);
    await c.client.tasks.create({ metadata: { name: 'wants-elsewhere' }, spec: { machine: a, template: { command: ['sleep', '300'], env: c.env(), volumes: [{ dataset: 'elsewhere', path: 'x' }] } } });
    const t = await until(async () => {
      const x = await c.client.tasks.get('wants-elsewhere');
      return x.status?.reason === 'VolumeUnavailable' && x;
    }, 'the task to wait for its volume');
    assert.notEqual(t.status?.phase, 'Running');
    assert.match(t.status!.message!, new RegExp(`is on machine ${b}`));
    // Moved here: it starts.
    await c.client.datasets.patch('elsewhere', { spec: { primary: a } });
    await until(async () => (await c.client.tasks.get('wants-elsewhere')).status?.phase === 'Running', 'the task to start once its dataset is here', 20_000);
  });

  it('a deleted dataset\'s data is removed by its holder and its status says Deleted', async () => {
    await c.client.datasets.create({ metadata: { name: 'doomed' }, spec: { primary: b } });
    const ds = await heldOn(c.client, 'doomed', b);
    fillTree(ds.status!.path!, 1);
    await c.client.datasets.delete('doomed');
    await until(async () => (await c.client.datasets.get('doomed')).status?.phase === 'Deleted', 'the dataset to be Deleted');
    assert.equal(existsSync(ds.status!.path!), false);
  });
});

function readdirOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
