import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cluster } from './cluster.js';
import { placeTasks } from './place.js';
import { machine, Mi, request } from './testdata/builders.js';
import type { MachineView, PlacementRequest, TaskView } from './types.js';

const machines: MachineView[] = Array.from({ length: 6 }, (_, i) => machine(`m${i}`, { cpu: 1000, labels: { zone: i % 2 ? 'a' : 'b' } }));

function view(name: string, service: string | undefined, m: string, cpu = 200, conflicts?: string[]): TaskView {
  return { name, service, machine: m, request: { cpuMilli: cpu, memoryBytes: 64 * Mi }, conflicts };
}

const requests: PlacementRequest[] = [
  ...Array.from({ length: 8 }, (_, i) => request(`web-${i}`, { service: 'web', cpu: 300 })),
  request('db-0', { service: 'db', cpu: 500, conflicts: ['web'] }),
  request('side-0', { service: 'side', cpu: 100, machineOf: 'cache' }),
  request('z-0', { service: 'z', cpu: 600, machineSelector: { zone: 'a' } }),
];

describe('a cluster kept current task by task and forked per pass', () => {
  it('places exactly as one built from the same tasks, after adds and removes', () => {
    const first = [view('c1', 'cache', 'm1'), view('c2', 'cache', 'm4'), view('w1', 'web', 'm0', 400), view('x1', undefined, 'm2', 700), view('k1', 'keep', 'm3', 100, ['db'])];
    const base = new Cluster(machines, first);
    // Tasks go and come: the base follows.
    base.removeTask(first[1]!);
    base.removeTask(first[2]!);
    const later = [view('c3', 'cache', 'm5'), view('w2', 'web', 'm0', 900), view('k2', 'keep', 'm3', 100, ['db'])];
    for (const v of later) base.addTask(v);
    base.removeTask(later[2]!);
    const now = [first[0]!, first[3]!, first[4]!, later[0]!, later[1]!];
    assert.deepEqual(placeTasks(requests, machines, base), placeTasks(requests, machines, now));
  });

  it('is not changed by the passes that fork it', () => {
    const base = new Cluster(machines, [view('c1', 'cache', 'm1'), view('d1', 'db', 'm2', 100, ['web*'])]);
    const once = placeTasks(requests, machines, base);
    const twice = placeTasks(requests, machines, base);
    assert.deepEqual(twice, once);
    assert.equal(base.taskCount.reduce((a, b) => a + b, 0), 2);
    assert.deepEqual([...base.machinesOf.keys()].sort(), ['cache', 'db']);
    assert.equal(base.servicesOn[base.index.get('m2')!]?.size, 1);
  });

  it('refuses a fork over another machine list', () => {
    const base = new Cluster(machines, []);
    assert.throws(() => placeTasks(requests, [...machines], base), /same machine list|machine list it was built from/);
  });
});
