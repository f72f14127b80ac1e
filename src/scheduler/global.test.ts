import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globalPlacements } from './global.js';
import { machine, Mi, running } from './testdata/builders.js';
import type { Constraints, GlobalResult, MachineView, TaskView } from './types.js';

function global(service: string, constraints: Constraints, machines: MachineView[], existing: TaskView[] = [], mem = 0): GlobalResult {
  return globalPlacements({ service, request: { cpuMilli: 0, memoryBytes: mem }, constraints }, machines, existing);
}

describe('global placements', () => {
  const machines = [
    machine('m3', { labels: { region: 'eu' } }),
    machine('m1', { labels: { region: 'eu' } }),
    machine('m2', { labels: { region: 'us' }, mem: 128 * Mi }),
    machine('m4', { labels: { region: 'eu' }, schedulable: false }),
  ];
  const cases: { name: string; got: () => GlobalResult; want: GlobalResult }[] = [
    {
      name: 'one task on every schedulable machine, in name order',
      got: () => global('agent', {}, machines),
      want: { machines: ['m1', 'm2', 'm3'], excluded: '3/4 machines eligible: 1 is unschedulable' },
    },
    {
      name: 'every machine when all are eligible',
      got: () => global('agent', {}, machines.slice(0, 3)),
      want: { machines: ['m1', 'm2', 'm3'], excluded: undefined },
    },
    {
      name: 'only machines matching the selector',
      got: () => global('agent', { machineSelector: { region: 'eu' } }, machines),
      want: { machines: ['m1', 'm3'], excluded: '2/4 machines eligible: 1 is unschedulable, 1 lacks label region=eu' },
    },
    {
      name: 'not machines without room for a new task',
      got: () => global('agent', {}, machines, [running('big-1', 'm2', { mem: 100 * Mi })], 64 * Mi),
      want: { machines: ['m1', 'm3'], excluded: '2/4 machines eligible: 1 is unschedulable, 1 has insufficient memory (need 64Mi, free 28Mi)' },
    },
    {
      name: 'keeps machines already running its task, even full or unschedulable',
      got: () => global('agent', {}, machines, [running('agent-1', 'm2', { mem: 128 * Mi }), running('agent-2', 'm4', { mem: 64 * Mi })], 64 * Mi),
      want: { machines: ['m1', 'm2', 'm3', 'm4'], excluded: undefined },
    },
    {
      name: 'still drops a machine whose labels no longer match',
      got: () => global('agent', { machineSelector: { region: 'eu' } }, machines, [running('agent-1', 'm2')]),
      want: { machines: ['m1', 'm3'], excluded: '2/4 machines eligible: 1 is unschedulable, 1 lacks label region=eu' },
    },
    {
      name: 'not machines running a conflicting service, in either direction',
      got: () => global('agent', { conflicts: ['db*'] }, machines, [running('db-1', 'm1'), running('web-1', 'm3', { conflicts: ['age*'] })]),
      want: {
        machines: ['m2'],
        excluded: '1/4 machines eligible: 1 is unschedulable, 1 runs a conflicting task (conflicts db*), 1 runs a conflicting task (service "web" conflicts age*)',
      },
    },
    {
      name: 'its own tasks do not conflict with it',
      got: () => global('agent', { conflicts: ['agent'] }, machines, [running('agent-1', 'm1', { conflicts: ['agent'] })]),
      want: { machines: ['m1', 'm2', 'm3'], excluded: '3/4 machines eligible: 1 is unschedulable' },
    },
    {
      name: 'with machineOf, only machines running that service',
      got: () => global('sidecar', { machineOf: 'db' }, machines, [running('db-1', 'm3'), running('db-2', 'm4')]),
      want: { machines: ['m3'], excluded: '1/4 machines eligible: 1 is unschedulable, 2 run no task of service "db" (machineOf)' },
    },
    {
      name: 'with a pinned machine, only that one',
      got: () => global('agent', { machine: 'm2' }, machines),
      want: { machines: ['m2'], excluded: '1/4 machines eligible: 3 are not the pinned machine "m2"' },
    },
    {
      name: 'no machines',
      got: () => global('agent', {}, []),
      want: { machines: [], excluded: 'no machines are registered' },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(c.got(), c.want));
});
