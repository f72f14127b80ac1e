import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front end', region: 'eu' };
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app in (db, cache)', false],
    ['app notin (db)', true],
    ['app notin (web)', false],
    ['region', true],
    ['zone', false],
    ['!zone', true],
    ['!app', false],
    ['app=web,region in (eu,us),!zone', true],
    ['app=web,region=us', false],
    ['tier=front end', true],
  ];
  for (const [sel, want] of cases) {
    it(`"${sel}" ${want ? 'matches' : 'does not match'}`, () => {
      assert.equal(matchesLabels(parseLabelSelector(sel), labels), want);
    });
  }
  for (const bad of ['app=web,,x', 'a b c', 'app in (x,)', '=x', 'k@y=v']) {
    it(`rejects "${bad}" with a message`, () => {
      assert.throws(() => parseLabelSelector(bad), SelectorError);
    });
  }
});

describe('field selectors', () => {
  const known = ['metadata.name', 'spec.machine'];
  it('parses = == and !=', () => {
    assert.deepEqual(parseFieldSelector('spec.machine=m1,metadata.name!=x,spec.machine==m2', known), [
      { field: 'spec.machine', op: '=', value: 'm1' },
      { field: 'metadata.name', op: '!=', value: 'x' },
      { field: 'spec.machine', op: '=', value: 'm2' },
    ]);
  });
  it('names the selectable fields when the field is unknown', () => {
    assert.throws(() => parseFieldSelector('spec.nope=1', known), /selectable fields: metadata.name, spec.machine/);
  });
  it('rejects terms without an operator', () => {
    assert.throws(() => parseFieldSelector('spec.machine', known), SelectorError);
  });
});
