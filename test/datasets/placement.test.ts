// Tasks go where their data is: a task mounting datasets is placed on their primary, waits
// (unschedulable, saying why) while a dataset is missing, deleted or split from the others,
// and a change of primary replaces the tasks services own while one-off tasks stay.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Task } from '../../src/client/client.js';
import { until, type TestServer } from '../helpers.js';
import { addMachine, M1, M2, M3, startDatasetServer } from './support.js';

const live = (t: Task) => !['Succeeded', 'Failed', 'Lost'].includes(t.status?.phase ?? '') && !t.metadata.deletionTimestamp;
const unschedulable = (t: Task | undefined) => t?.status?.conditions?.find((c) => c.type === 'Scheduled' && c.status === 'False')?.message;

describe('placing tasks that mount datasets', () => {
  let s: TestServer;
  before(async () => {
    s = await startDatasetServer();
    for (const m of [M1, M2, M3]) await addMachine(s, m);
  });
  after(async () => {
    await s.close();
  });

  const liveOf = async (service: string) => (await s.client.tasks.list({ fieldSelector: `metadata.owner=${service}` })).items.filter(live);
  const mounting = (dataset: string | string[]) => ({ command: ['sleep', '300'], volumes: [dataset].flat().map((d) => ({ dataset: d, path: `/data/${d}` })) });

  it("puts every task of a service on its dataset's primary, and follows the primary when it changes; one-off tasks stay", async () => {
    await s.client.datasets.create({ metadata: { name: 'db' }, spec: { primary: M2 } });
    await s.client.services.create({ metadata: { name: 'pg' }, spec: { replicas: 2, template: mounting('db') } });
    const first = await until(async () => {
      const ts = await liveOf('pg');
      return ts.length === 2 && ts.every((t) => t.spec.machine) && ts;
    }, 'two placed tasks of pg');
    assert.deepEqual(first.map((t) => t.spec.machine), [M2, M2], 'spread would have used two machines: the dataset pins them');
    await s.client.tasks.create({ metadata: { name: 'backup' }, spec: { template: mounting('db') } });
    await until(async () => (await s.client.tasks.get('backup')).spec.machine === M2, 'the one-off task on the primary');

    await s.client.datasets.patch('db', { spec: { primary: M3 } });
    const moved = await until(async () => {
      const ts = await liveOf('pg');
      return ts.length === 2 && ts.every((t) => t.spec.machine === M3) && ts;
    }, 'pg to follow db to M3');
    assert.ok(moved.every((t) => !first.some((f) => f.metadata.uid === t.metadata.uid)), 'new tasks, not rebound old ones');
    for (const old of first) {
      const t = await s.client.tasks.find(old.metadata.name);
      assert.ok(!t || t.metadata.deletionTimestamp, `${old.metadata.name} on the old primary is deleted`);
    }
    const backup = await s.client.tasks.get('backup');
    assert.equal(backup.spec.machine, M2, 'a one-off task is left where it runs: the move waits for it');
    assert.equal(backup.metadata.deletionTimestamp, undefined);
  });

  it('holds a task whose dataset is missing, says why, and places it once the dataset exists', async () => {
    await s.client.tasks.create({ metadata: { name: 'early' }, spec: { template: mounting('later') } });
    const why = await until(async () => unschedulable(await s.client.tasks.get('early')), 'the task to be unschedulable');
    assert.match(why, /dataset "later" does not exist: create it/);
    assert.equal((await s.client.tasks.get('early')).status?.phase, 'Pending');
    await s.client.datasets.create({ metadata: { name: 'later' }, spec: { primary: M1 } });
    await until(async () => (await s.client.tasks.get('early')).spec.machine === M1, 'the task placed on the new dataset\'s primary');
  });

  it('refuses datasets on different machines and deleted datasets, naming them', async () => {
    await s.client.datasets.create({ metadata: { name: 'left' }, spec: { primary: M1 } });
    await s.client.datasets.create({ metadata: { name: 'right' }, spec: { primary: M2 } });
    await s.client.tasks.create({ metadata: { name: 'both' }, spec: { template: mounting(['left', 'right']) } });
    assert.match(await until(async () => unschedulable(await s.client.tasks.get('both')), 'both unschedulable'), /different machines \("left" on d1\w+, "right" on d2\w+\)/);
    await s.client.datasets.patch('right', { spec: { primary: M1 } });
    await until(async () => (await s.client.tasks.get('both')).spec.machine === M1, 'placed once both live on one machine');

    await s.client.datasets.create({ metadata: { name: 'gone' }, spec: { primary: M1 } });
    await s.client.datasets.delete('gone');
    await s.client.tasks.create({ metadata: { name: 'ghost' }, spec: { template: mounting('gone') } });
    assert.match(await until(async () => unschedulable(await s.client.tasks.get('ghost')), 'ghost unschedulable'), /dataset "gone" is deleted/);
  });

  it('replaces nothing while a lease pins the dataset to where it is, and follows once the lease is released', async () => {
    await s.client.datasets.create({ metadata: { name: 'pinned' }, spec: { primary: M1 } });
    await s.client.services.create({ metadata: { name: 'app' }, spec: { replicas: 1, template: mounting('pinned') } });
    const [t] = await until(async () => {
      const ts = await liveOf('app');
      return ts.length === 1 && ts[0]!.spec.machine === M1 && ts;
    }, 'app on M1');
    await s.client.leases.create({ metadata: { name: 'pinned' }, spec: { dataset: 'pinned', machine: M1 } });
    await s.client.datasets.patch('pinned', { spec: { primary: M2 } });
    // Another dataset's change is seen after this one's: when it has been followed, this one was judged.
    await s.client.datasets.create({ metadata: { name: 'marker' }, spec: { primary: M1 } });
    await s.client.services.create({ metadata: { name: 'marker' }, spec: { replicas: 1, template: mounting('marker') } });
    await until(async () => (await liveOf('marker')).length === 1 && (await liveOf('marker'))[0]!.spec.machine === M1, 'the marker service placed');
    await s.client.datasets.patch('marker', { spec: { primary: M3 } });
    await until(async () => (await liveOf('marker')).some((m) => m.spec.machine === M3), 'the marker to follow its dataset');
    assert.equal((await s.client.tasks.get(t!.metadata.name)).metadata.deletionTimestamp, undefined, 'the leased dataset\'s task stays');
    await s.client.leases.delete('pinned');
    await until(async () => {
      const ts = await liveOf('app');
      return ts.length === 1 && ts[0]!.spec.machine === M2;
    }, 'app to follow once the lease is released');
  });
});
