import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyIndex } from './key-index.js';
import type { KeyValue } from './store.js';

function kv(key: string, value: string, modRevision: number, createRevision = modRevision, version = 1): KeyValue {
  return { key, value, createRevision, modRevision, version, lease: 0 };
}

describe('KeyIndex', () => {
  it('answers reads at older revisions with the row id that held the key, or nothing', () => {
    const index = new KeyIndex();
    index.put(kv('/a', 'a1', 2), 10);
    index.put(kv('/a', 'a2', 4, 2, 2), 11);
    index.tombstone('/a', 6, 12);
    index.put(kv('/a', 'a3', 8), 13);
    const cases: Array<[number, unknown]> = [[1, undefined], [2, 10], [3, 10], [4, 11], [5, 11], [6, undefined], [7, undefined], [8, index.get('/a')], [9, index.get('/a')]];
    for (const [revision, expected] of cases) assert.equal(index.at('/a', revision), expected, `at ${revision}`);
    assert.equal(index.liveRowId('/a'), 13);
  });

  it('compacting rows in log order drops superseded rows and tombstones, and forgets emptied keys', () => {
    const index = new KeyIndex();
    index.put(kv('/a', 'a1', 1), 1);
    index.put(kv('/b', 'b1', 2), 2);
    index.put(kv('/a', 'a2', 3, 1, 2), 3);
    index.tombstone('/b', 4, 4);
    index.put(kv('/a', 'a3', 5, 1, 3), 5);
    for (const [key, revision, isTombstone] of [['/a', 1, false], ['/b', 2, false], ['/a', 3, false], ['/b', 4, true]] as const) {
      index.compactRow(key, revision, isTombstone);
    }
    const keys: string[] = [];
    index.forEachKey('', undefined, (key) => (keys.push(key), true));
    assert.deepEqual(keys, ['/a']);
    assert.equal(index.at('/a', 4), 3, 'the row live at the compacted revision stays');
    assert.equal(index.at('/a', 5), index.get('/a'));
  });

  it('revert undoes the latest write of a key', () => {
    const index = new KeyIndex();
    const first = kv('/a', 'a1', 1);
    index.put(first, 1);
    index.put(kv('/a', 'a2', 2, 1, 2), 2);
    index.revert('/a', first);
    assert.equal(index.get('/a'), first);
    assert.equal(index.liveRowId('/a'), 1);
    index.revert('/a', undefined);
    const keys: string[] = [];
    index.forEachKey('', undefined, (key) => (keys.push(key), true));
    assert.deepEqual(keys, []);
  });
});
