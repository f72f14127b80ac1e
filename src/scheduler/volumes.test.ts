import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { volumePin, type DatasetView } from './volumes.js';

const ds = (name: string, extra: Partial<DatasetView> = {}) => ({ name, view: { name, ...extra } as DatasetView });

describe('volumePin', () => {
  it("pins a task to its datasets' shared primary", () => {
    assert.deepEqual(volumePin([ds('a', { primary: 'm2' }), ds('b', { primary: 'm2' })]), { machine: 'm2' });
    assert.deepEqual(volumePin([ds('a', { primary: 'm2' })], 'm2'), { machine: 'm2' }, 'a pin to the same machine agrees');
  });

  it('names every missing, deleted and unplaced dataset, with why it is unplaced', () => {
    const pin = volumePin([{ name: 'gone', view: undefined }, ds('dead', { deleted: true, primary: 'm1' }), ds('new', { unplacedWhy: 'no ready machine offers loopback' })]);
    assert.ok('reason' in pin);
    assert.match(pin.reason, /dataset "gone" does not exist: create it \(drover dataset create gone\)/);
    assert.match(pin.reason, /dataset "dead" is deleted/);
    assert.match(pin.reason, /dataset "new" has no primary machine yet \(no ready machine offers loopback\)/);
  });

  it('refuses datasets split across machines, naming each side', () => {
    const pin = volumePin([ds('a', { primary: 'm1' }), ds('b', { primary: 'm2' }), ds('c', { primary: 'm1' })]);
    assert.ok('reason' in pin);
    assert.match(pin.reason, /different machines \("a", "c" on m1, "b" on m2\)/);
  });

  it('refuses a task pinned to another machine than its data', () => {
    const pin = volumePin([ds('a', { primary: 'm1' })], 'm3');
    assert.deepEqual(pin, { reason: 'it is pinned to machine m3, but dataset "a" lives on m1' });
  });
});
