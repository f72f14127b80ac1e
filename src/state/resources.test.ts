import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { sameJson } from './resources.js';

/** The definition sameJson must agree with: equal once both are written as JSON and read back. */
const asJson = (a: unknown, b: unknown) => isDeepStrictEqual(JSON.parse(JSON.stringify(a) ?? 'null'), JSON.parse(JSON.stringify(b) ?? 'null'));

const values: unknown[] = [
  undefined, null, 0, 1, NaN, Infinity, '', 'a', true, false, [], [1], [undefined], [null], [1, 2], [2, 1],
  {}, { a: 1 }, { a: undefined }, { a: null }, { a: 1, b: 2 }, { b: 2, a: 1 }, { a: () => 1 },
  { a: [1, { c: 2 }] }, { a: [1, { c: 2, d: undefined }] }, { a: { b: { c: 1 } } }, { a: { b: { c: 2 } } }, { a: [] }, { a: {} },
  new Date(0), '1970-01-01T00:00:00.000Z',
];

describe('sameJson', () => {
  it('agrees with comparing the JSON documents, for every pair of a table of values', () => {
    for (const a of values) for (const b of values) assert.equal(sameJson(a, b), asJson(a, b), `${String(JSON.stringify(a))} vs ${String(JSON.stringify(b))}`);
  });
});
