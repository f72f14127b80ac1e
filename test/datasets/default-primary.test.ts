// A dataset created without a primary gets one: a ready machine offering its backend, holding
// the fewest datasets (ties by name); one no machine can hold says why, and is placed as soon
// as a machine can.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until, type TestServer } from '../helpers.js';
import { addMachine, M1, M2, M3, startDatasetServer } from './support.js';

const MiB = 1024 * 1024;

describe('default primaries', () => {
  let s: TestServer;
  before(async () => {
    s = await startDatasetServer();
    await addMachine(s, M1, ['directory']);
    await addMachine(s, M2, ['directory']);
  });
  after(async () => {
    await s.close();
  });

  const primaryOf = (name: string) => until(async () => (await s.client.datasets.get(name)).spec.primary, `a primary for ${name}`);

  it('spreads datasets over the machines, fewest first, ties by name', async () => {
    await s.client.datasets.create({ metadata: { name: 'pinned' }, spec: { primary: M1 } });
    await s.client.datasets.create({ metadata: { name: 'first' } });
    assert.equal(await primaryOf('first'), M2, 'M1 already holds one');
    await s.client.datasets.create({ metadata: { name: 'second' } });
    assert.equal(await primaryOf('second'), M1, 'a tie (one each) goes to the lower name');
  });

  it('says why a dataset cannot be placed, and places it when a machine offering its backend is ready', async () => {
    await s.client.datasets.create({ metadata: { name: 'image' }, spec: { backend: 'loopback', maximumSize: 64 * MiB } });
    const status = await until(async () => {
      const ds = await s.client.datasets.get('image');
      return ds.status?.reason === 'Unplaced' && ds.status;
    }, 'the Unplaced reason');
    assert.match(status.message ?? '', /^none of 2 machines can hold it: 2 do not offer the loopback backend; it gets a primary as soon as a machine can hold it/);
    assert.equal((await s.client.datasets.get('image')).spec.primary, undefined);
    await addMachine(s, M3, ['directory', 'loopback']);
    assert.equal(await primaryOf('image'), M3);
    const placed = await s.client.datasets.get('image');
    assert.equal(placed.status?.reason, undefined, 'the reason goes once it is placed');
    assert.equal(placed.status?.message, undefined);
  });

  it('leaves a given primary alone', async () => {
    const ds = await s.client.datasets.create({ metadata: { name: 'mine' }, spec: { primary: M2 } });
    // Datasets are handled in one pass, in order: once a later one is placed, this one was seen.
    await s.client.datasets.create({ metadata: { name: 'after-mine' } });
    await primaryOf('after-mine');
    const now = await s.client.datasets.get('mine');
    assert.equal(now.spec.primary, M2);
    assert.equal(now.metadata.revision, ds.metadata.revision, 'not rewritten');
  });
});
