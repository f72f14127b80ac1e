import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { choosePrimary, type DatasetHost } from './dataset-primary.js';

const host = (name: string, datasets = 0, extra: Partial<DatasetHost> = {}): DatasetHost => ({ name, schedulable: true, datasets, ...extra });

describe('choosePrimary', () => {
  it('takes the machine with the fewest datasets, ties by name', () => {
    assert.deepEqual(choosePrimary('directory', [host('m3', 0), host('m1', 2), host('m2', 0)]), { machine: 'm2' });
  });

  it('skips machines that cannot take work or do not offer the backend; none reported means any', () => {
    const hosts = [host('a', 0, { schedulable: false }), host('b', 0, { backends: ['directory'] }), host('c', 5)];
    assert.deepEqual(choosePrimary('loopback', hosts), { machine: 'c' });
    assert.deepEqual(choosePrimary('directory', hosts), { machine: 'b' });
  });

  it('says why no machine can hold it', () => {
    assert.deepEqual(choosePrimary('directory', []), { reason: 'no machines are registered' });
    const r = choosePrimary('loopback', [host('a', 0, { schedulable: false }), host('b', 0, { backends: ['directory'] }), host('c', 0, { backends: [] })]);
    assert.deepEqual(r, { reason: 'none of 3 machines can hold it: 1 is not ready or cordoned, 2 do not offer the loopback backend' });
  });
});
