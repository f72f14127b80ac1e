import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Task } from '../model/index.js';
import { Cluster, placeTasks, type MachineView, type PlacementRequest } from '../scheduler/index.js';
import { WorkloadIndex } from './workload-index.js';

const machines: MachineView[] = ['m1', 'm2', 'm3'].map((name) => ({ name, labels: {}, allocatable: { cpuMilli: 1000, memoryBytes: 2 ** 30 }, schedulable: true }));

function task(name: string, owner: string | undefined, machine: string | undefined, phase = 'Running', cpu = '300m'): Task {
  return {
    apiVersion: 'drover/v1',
    kind: 'Task',
    metadata: { name, uid: `uid-${name}`, revision: 1, generation: 1, ownerReferences: owner ? [{ kind: 'Service', name: owner, uid: `uid-${owner}`, controller: true }] : undefined },
    spec: { machine, template: { command: ['x'], resources: { cpu } } },
    status: { phase },
  } as unknown as Task;
}

const asks: PlacementRequest[] = [
  { task: 'a-1', service: 'a', request: { cpuMilli: 300, memoryBytes: 0 }, constraints: {} },
  { task: 'a-2', service: 'a', request: { cpuMilli: 300, memoryBytes: 0 }, constraints: {} },
  { task: 'b-1', service: 'b', request: { cpuMilli: 600, memoryBytes: 0 }, constraints: { conflicts: ['db'] } },
  { task: 'x-1', service: 'x', request: { cpuMilli: 100, memoryBytes: 0 }, constraints: {} },
];

/** The usage kept by the index places exactly as one built from scratch from its tasks. */
function assertCurrent(index: WorkloadIndex): void {
  assert.deepEqual(placeTasks(asks, machines, index.usage!), placeTasks(asks, machines, new Cluster(machines, [...index.existing()])));
}

describe('WorkloadIndex', () => {
  it('keeps tasks by owner, pending and bound usage current through every kind of change', () => {
    const conflicts = new Map<string, string[]>();
    const index = new WorkloadIndex((s) => conflicts.get(s));
    const t1 = task('db-1', 'db', 'm1');
    const t2 = task('db-2', 'db', undefined, 'Pending');
    const t3 = task('web-1', 'web', 'm2');
    for (const t of [t1, t2, t3]) index.change(undefined, t);
    index.usage = new Cluster(machines, index.existing());
    assert.deepEqual([...index.pending.keys()], ['default/db-2']);
    assert.equal(index.owned('default/db').length, 2);

    const bound = { ...t2, spec: { ...t2.spec, machine: 'm1' }, status: { phase: 'Running' } } as Task;
    index.change(t2, bound); // bound by the scheduler
    assert.equal(index.pending.size, 0);
    assertCurrent(index);

    index.change(t1, { ...t1, status: { phase: 'Lost' } } as Task); // machine lost: uses nothing
    assertCurrent(index);
    index.change(t3, undefined); // deleted
    assert.equal(index.owned('default/web').length, 0);
    assertCurrent(index);

    conflicts.set('default/db', ['b*']); // a service's conflicts change: its bound tasks carry the new ones
    index.conflictsChanged('default/db');
    assertCurrent(index);
    assert.equal(placeTasks(asks, machines, index.usage!).placements.find((p) => p.task === 'b-1')?.machine === 'm1', false);

    const deleting = { ...bound, metadata: { ...bound.metadata, deletionTimestamp: 'now', finalizers: ['drover.io/agent'] } } as Task;
    index.change(bound, deleting);
    assert.deepEqual([...index.finalizing.keys()], ['default/db-2']);
    assertCurrent(index);
  });

  it('counts a unit that ended on its machine, as fleet does, and not a native task that ended', () => {
    const index = new WorkloadIndex(() => undefined);
    const unit = (name: string, machine: string, phase: string) => {
      const t = task(name, name, machine, phase);
      return { ...t, spec: { ...t.spec, template: { ...t.spec.template, driver: 'unit' } } } as Task;
    };
    for (const t of [unit('once.service', 'm1', 'Succeeded'), unit('bad.service', 'm1', 'Failed'), unit('gone.service', 'm3', 'Lost'), task('job-1', 'job', 'm2', 'Succeeded')]) index.change(undefined, t);
    assert.deepEqual([...index.existing()].map((v) => [v.name, v.machine]).sort(), [['default/bad.service', 'm1'], ['default/once.service', 'm1']]);
    const cluster = new Cluster(machines, index.existing());
    assert.deepEqual(Array.from(cluster.taskCount), [2, 0, 0]);
  });
});
