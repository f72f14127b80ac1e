// Loopback datasets: an ext4 image of maximumSize, loop-mounted; moved by carrying the files of
// the mounted file system into an image of the target's own. Needs root and loop devices: the
// test skips, saying why, on a machine whose agents report that loop mounts fail.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MIN_DATASET_SIZE } from '../../src/model/index.js';
import { until } from '../helpers.js';
import { startCluster, type Cluster } from './cluster.js';
import { fillTree, fingerprint, heldOn } from './dataset-files.js';

const mounted = (dir: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);

describe('loopback datasets', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster(2, { secure: true });
  });
  after(async () => {
    // Whatever a failed test left mounted under the agents' data dirs is unmounted before they are removed.
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const at = line.split(' ')[4];
      if (at && c.agents.some((a) => at.startsWith(a.dataDir))) execFileSync('umount', ['-l', at]);
    }
    await c.close();
  });

  it('an image is made and mounted on the primary, moves file by file, and is removed when deleted', async (t) => {
    const m = await c.client.machines.get(c.agents[0]!.id);
    const loop = m.status?.conditions?.find((x) => x.type === 'LoopbackDatasets');
    if (loop?.status !== 'True') {
      const reason = `this machine cannot loop-mount: ${loop?.message ?? 'no LoopbackDatasets condition'}`;
      console.log(`skipped: ${reason}`);
      return t.skip(reason);
    }
    const [a, b] = [c.agents[0]!, c.agents[1]!];
    await c.client.datasets.create({ metadata: { name: 'disk' }, spec: { primary: a.id, backend: 'loopback', maximumSize: MIN_DATASET_SIZE } });
    const onA = await heldOn(c.client, 'disk', a.id);
    const pathA = onA.status!.path!;
    assert.ok(mounted(pathA), `${pathA} is a mount point`);
    assert.ok(existsSync(join(a.dataDir, 'datasets', `${onA.spec.id}.img`)));
    fillTree(pathA, 3);
    const expected = fingerprint(pathA);

    await c.client.datasets.patch('disk', { spec: { primary: b.id } });
    const onB = await heldOn(c.client, 'disk', b.id);
    assert.ok(mounted(onB.status!.path!), 'mounted on the target');
    assert.equal(fingerprint(onB.status!.path!), expected);
    await until(() => !mounted(pathA) && !existsSync(join(a.dataDir, 'datasets', `${onA.spec.id}.img`)), 'the source image to be unmounted and removed', 20_000);

    await c.client.datasets.delete('disk');
    await until(async () => (await c.client.datasets.get('disk')).status?.phase === 'Deleted', 'the dataset to be Deleted');
    assert.equal(mounted(onB.status!.path!), false);
    assert.equal(existsSync(join(b.dataDir, 'datasets', `${onB.spec.id}.img`)), false);
  });
});
