import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventName } from './event.js';

describe('event names', () => {
  it('are the names earlier versions gave (a repeat after an upgrade bumps the stored event, not a new one)', () => {
    // Made by the two-pass hash of 0.1.0 (ddd84dd).
    assert.equal(eventName({ kind: 'Task', name: 'web-1', namespace: 'default', uid: 'u-1' }, 'Unhealthy', 'check "http" failed: ünïcödé'), 'web-1.1210c9dba933de11948299fc271f');
    assert.equal(eventName({ kind: 'Machine', name: 'm' }, 'NotReady', ''), 'm.1a0c700587ff17194c8f7ec6a11a');
  });

  it('differ when the object, the reason or the message differ', () => {
    const task = { kind: 'Task', name: 'web-1', namespace: 'default' };
    const names = new Set([
      eventName(task, 'Started', 'a'),
      eventName(task, 'Started', 'b'),
      eventName(task, 'Killing', 'a'),
      eventName({ ...task, uid: 'u-2' }, 'Started', 'a'),
      eventName({ ...task, namespace: 'other' }, 'Started', 'a'),
    ]);
    assert.equal(names.size, 5);
  });
});
