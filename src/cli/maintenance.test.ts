import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maintenancePhase, type Machine, type MaintenanceWindow } from '../model/index.js';
import { maintenanceWindow } from './maintenance.js';

const NOW = Date.parse('2026-01-02T10:00:00Z');

describe('drover machine maintain: the window from the flags', () => {
  const cases: [string, Parameters<typeof maintenanceWindow>[0], ReturnType<typeof maintenanceWindow> | RegExp][] = [
    ['now, until cleared', {}, { start: '2026-01-02T10:00:00.000Z' }],
    ['for 2h with a reason', { for: '2h', reason: 'kernel' }, { start: '2026-01-02T10:00:00.000Z', end: '2026-01-02T12:00:00.000Z', reason: 'kernel' }],
    ['in 10m for 30m', { start: '10m', for: '30m' }, { start: '2026-01-02T10:10:00.000Z', end: '2026-01-02T10:40:00.000Z' }],
    ['absolute times', { start: '2026-01-03T00:00:00Z', end: '2026-01-03T02:00:00Z' }, { start: '2026-01-03T00:00:00.000Z', end: '2026-01-03T02:00:00.000Z' }],
    ['--end and --for', { end: '1h', for: '1h' }, /give one/],
    ['an end before the start', { start: '2h', end: '1h' }, /must end after it starts/],
    ['a bad time', { start: 'tomorrow' }, /must look like 30s/],
  ];
  for (const [name, flags, want] of cases) {
    it(name, () => {
      if (want instanceof RegExp) assert.throws(() => maintenanceWindow(flags, NOW), want);
      else assert.deepEqual(maintenanceWindow(flags, NOW), want);
    });
  }
});

describe('maintenancePhase', () => {
  const machine = (maintenance?: MaintenanceWindow) => ({ metadata: { name: 'm' }, spec: { maintenance } }) as Machine;
  const cases: [string, Machine, ReturnType<typeof maintenancePhase>][] = [
    ['no window', machine(undefined), 'none'],
    ['open, no times', machine({}), 'active'],
    ['not yet', machine({ start: '2026-01-02T11:00:00Z' }), 'scheduled'],
    ['inside', machine({ start: '2026-01-02T09:00:00Z', end: '2026-01-02T11:00:00Z' }), 'active'],
    ['at its end', machine({ end: '2026-01-02T10:00:00Z' }), 'over'],
  ];
  for (const [name, m, want] of cases) it(name, () => assert.equal(maintenancePhase(m, NOW), want));
});
