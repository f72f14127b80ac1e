import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkLabels, nameProblem } from './names.js';

describe('object names', () => {
  const valid = ['web', 'a', 'foo@1.service', 'foo@.service', 'x:y_z-1.2', 'dev-sda1\\x2dsomething.mount', 'a'.repeat(256)];
  for (const n of valid) it(`accepts ${JSON.stringify(n.length > 40 ? n.slice(0, 10) + '…' : n)}`, () => assert.equal(nameProblem(n), undefined));
  const invalid: [string, RegExp][] = [
    ['', /empty/],
    ['.', /not allowed/],
    ['..', /not allowed/],
    ['a/b', /"\/"/],
    ['a b', /" "/],
    ['a\nb', /control character U\+000a/],
    ['a\u0000b', /control character U\+0000/],
    ['a'.repeat(257), /257 characters/],
    ['ünicode', /"ü"/],
    ['a%2Fb', /"%"/],
  ];
  for (const [n, why] of invalid) it(`rejects ${JSON.stringify(n.slice(0, 20))}`, () => assert.match(nameProblem(n) ?? '', why));
});

describe('labels', () => {
  it('accepts free-text values and dotted/slashed keys', () => {
    assert.deepEqual(checkLabels({ 'example.com/role': 'front end, v2!', region: '' }, '/metadata/labels'), []);
  });
  it('reports each bad key and long value with its path', () => {
    const errs = checkLabels({ 'bad key': 'x', ok: 'y'.repeat(257) }, '/metadata/labels');
    assert.deepEqual(
      errs.map((e) => e.path),
      ['/metadata/labels/bad key', '/metadata/labels/ok'],
    );
  });
});
