import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SortedKeySet } from './sorted-keys.js';

function keysIn(set: SortedKeySet, start: string, end?: string): string[] {
  const out: string[] = [];
  set.forEachInRange(start, end, (key) => (out.push(key), true));
  return out;
}

describe('SortedKeySet', () => {
  it('lists keys in [start, end) in order, ignoring duplicates', () => {
    const set = new SortedKeySet();
    for (const key of ['/b', '/a', '/c', '/b', '/aa']) set.add(key);
    const cases: Array<[string, string | undefined, string[]]> = [
      ['', undefined, ['/a', '/aa', '/b', '/c']],
      ['/a', '/b', ['/a', '/aa']],
      ['/ab', '/c', ['/b']],
      ['/c', undefined, ['/c']],
      ['/d', undefined, []],
      ['/b', '/b', []],
    ];
    for (const [start, end, expected] of cases) assert.deepEqual(keysIn(set, start, end), expected, `[${start}, ${end})`);
  });

  it('stops when the visitor returns false', () => {
    const set = new SortedKeySet();
    for (const key of ['a', 'b', 'c']) set.add(key);
    const seen: string[] = [];
    set.forEachInRange('a', undefined, (key) => (seen.push(key), key !== 'b'));
    assert.deepEqual(seen, ['a', 'b']);
  });

  it('matches a plain sorted array over many random adds and deletes across chunk splits', () => {
    const set = new SortedKeySet();
    const model = new Set<string>();
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed);
    for (let i = 0; i < 20_000; i++) {
      const key = `/k/${random() % 5000}`;
      if (random() % 3 === 0) {
        set.delete(key);
        model.delete(key);
      } else {
        set.add(key);
        model.add(key);
      }
    }
    const sorted = [...model].sort();
    assert.deepEqual(keysIn(set, ''), sorted);
    assert.deepEqual(keysIn(set, '/k/25', '/k/3'), sorted.filter((k) => k >= '/k/25' && k < '/k/3'));
    for (const key of sorted) set.delete(key);
    assert.deepEqual(keysIn(set, ''), []);
  });
});
