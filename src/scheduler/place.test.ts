import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { placeTasks } from './place.js';
import { Gi, machine, Mi, request, running } from './testdata/builders.js';
import type { MachineView, PlacementRequest, PlacementResult, TaskView } from './types.js';

/** task → machine, or the reason it was not placed. */
function outcome(res: PlacementResult): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of res.placements) out[p.task] = p.machine;
  for (const u of res.unplaced) out[u.task] = `unplaced: ${u.reason}`;
  return out;
}

interface Case {
  name: string;
  machines: MachineView[];
  existing?: TaskView[];
  requests: PlacementRequest[];
  want: Record<string, string>;
}

function table(cases: Case[]): void {
  for (const c of cases) {
    it(c.name, () => {
      const res = placeTasks(c.requests, c.machines, c.existing ?? []);
      assert.deepEqual(outcome(res), c.want);
      assert.equal(res.placements.length + res.unplaced.length, c.requests.length);
    });
  }
}

const three = [machine('m3'), machine('m1'), machine('m2')];

describe('spread', () => {
  table([
    {
      name: 'puts one task on each machine, in machine name order',
      machines: three,
      requests: [request('web-1'), request('web-2'), request('web-3')],
      want: { 'web-1': 'm1', 'web-2': 'm2', 'web-3': 'm3' },
    },
    {
      name: 'goes round again once every machine has one',
      machines: three,
      requests: ['a-1', 'a-2', 'a-3', 'a-4', 'a-5'].map((t) => request(t)),
      want: { 'a-1': 'm1', 'a-2': 'm2', 'a-3': 'm3', 'a-4': 'm1', 'a-5': 'm2' },
    },
    {
      name: 'counts every task on a machine, of any service (fleet: fewest units)',
      machines: three,
      existing: [running('db-1', 'm1'), running('db-2', 'm1'), running('cache-1', 'm2'), running('queued-1', undefined)],
      requests: [request('web-1'), request('web-2'), request('web-3'), request('web-4')],
      // counts m1=2 m2=1 m3=0 → m3; m2=1 m3=1 → m2 (name); m3=1 → m3; all at 2 → m1
      want: { 'web-1': 'm3', 'web-2': 'm2', 'web-3': 'm3', 'web-4': 'm1' },
    },
    {
      name: 'breaks ties by machine name as strings compare ("10" < "9")',
      machines: [machine('9f00'), machine('10ab'), machine('0fff')],
      requests: [request('a-1'), request('a-2'), request('a-3')],
      want: { 'a-1': '0fff', 'a-2': '10ab', 'a-3': '9f00' },
    },
    {
      name: 'ignores tasks bound to machines that are not registered',
      machines: [machine('m1'), machine('m2')],
      existing: [running('old-1', 'gone'), running('old-2', 'gone')],
      requests: [request('a-1')],
      want: { 'a-1': 'm1' },
    },
    {
      name: 'mixes kinds of request and still sees every placement of the pass',
      machines: [machine('m1', { labels: { disk: 'ssd' } }), machine('m2'), machine('m3', { labels: { disk: 'ssd' } })],
      requests: [request('any-1'), request('ssd-1', { machineSelector: { disk: 'ssd' } }), request('any-2'), request('ssd-2', { machineSelector: { disk: 'ssd' } }), request('any-3')],
      // any-1 → m1; ssd-1 → m3 (m1 busier); any-2 → m2; ssd-2: m1=1 m3=1 → m1; any-3: m1=2 m2=1 m3=1 → m2
      want: { 'any-1': 'm1', 'ssd-1': 'm3', 'any-2': 'm2', 'ssd-2': 'm1', 'any-3': 'm2' },
    },
  ]);
});

describe('binpack', () => {
  const machines = [machine('m1', { cpu: 4000 }), machine('m2', { cpu: 2000 }), machine('m3', { cpu: 8000 })];
  table([
    {
      name: 'fills the most allocated machine that fits, then the next',
      machines,
      requests: ['b-1', 'b-2', 'b-3', 'b-4', 'b-5'].map((t) => request(t, { cpu: 1000, strategy: 'binpack' })),
      // least free cpu first: m2 (2000) takes two, then m1 (4000) …
      want: { 'b-1': 'm2', 'b-2': 'm2', 'b-3': 'm1', 'b-4': 'm1', 'b-5': 'm1' },
    },
    {
      name: 'counts existing usage',
      machines,
      existing: [running('x-1', 'm3', { cpu: 7500 })],
      requests: [request('b-1', { cpu: 500, strategy: 'binpack' }), request('b-2', { cpu: 500, strategy: 'binpack' })],
      want: { 'b-1': 'm3', 'b-2': 'm2' },
    },
    {
      name: 'breaks cpu ties by free memory, then by name',
      machines: [machine('m1', { mem: 4 * Gi }), machine('m2', { mem: 2 * Gi }), machine('m0', { mem: 4 * Gi })],
      requests: [request('b-1', { strategy: 'binpack' }), request('b-2', { mem: 2 * Gi, strategy: 'binpack' }), request('b-3', { mem: Gi, strategy: 'binpack' })],
      want: { 'b-1': 'm2', 'b-2': 'm2', 'b-3': 'm0' },
    },
    {
      name: 'sees placements made by other requests of the pass',
      machines: [machine('m1', { cpu: 4000 }), machine('m2', { cpu: 3000 })],
      requests: [
        request('small-1', { cpu: 500, strategy: 'binpack' }), // m2 (3000 free) → 2500
        request('big-1', { cpu: 3000 }), // spread: m1 has no task → m1, 1000 free
        request('small-2', { cpu: 500, strategy: 'binpack' }), // now m1 is the most allocated
      ],
      want: { 'small-1': 'm2', 'big-1': 'm1', 'small-2': 'm1' },
    },
  ]);
});

describe('resources', () => {
  table([
    {
      name: 'later placements see what earlier ones of the pass use',
      machines: [machine('m1', { cpu: 4000 })],
      requests: [request('a-1', { cpu: 1500 }), request('a-2', { cpu: 1500 }), request('a-3', { cpu: 1500 })],
      want: { 'a-1': 'm1', 'a-2': 'm1', 'a-3': 'unplaced: 0/1 machines fit: 1 has insufficient cpu (need 1.5, free 1)' },
    },
    {
      name: 'a machine that is full for one request still takes smaller ones',
      machines: [machine('m1', { cpu: 1500 }), machine('m2', { cpu: 4000 })],
      requests: [request('a-1', { cpu: 1000 }), request('a-2', { cpu: 1000 }), request('a-3', { cpu: 1000 }), request('b-1', { cpu: 500 })],
      // a-3: m1 and m2 both have one task; m1 has 500 left → m2. b-1: m1 has fewer tasks and fits 500
      want: { 'a-1': 'm1', 'a-2': 'm2', 'a-3': 'm2', 'b-1': 'm1' },
    },
    {
      name: 'memory is checked against existing usage',
      machines: [machine('m1', { mem: 256 * Mi }), machine('m2', { mem: 256 * Mi })],
      existing: [running('x-1', 'm1', { mem: 224 * Mi }), running('x-2', 'm2', { mem: 200 * Mi })],
      requests: [request('a-1', { mem: 64 * Mi })],
      want: { 'a-1': 'unplaced: 0/2 machines fit: 2 have insufficient memory (need 64Mi, most free 56Mi)' },
    },
    {
      name: 'a task that asks for nothing fits an overcommitted machine',
      machines: [machine('m1', { cpu: 1000, mem: Gi })],
      existing: [running('x-1', 'm1', { cpu: 2000, mem: 2 * Gi })],
      requests: [request('a-1')],
      want: { 'a-1': 'm1' },
    },
    {
      name: 'cpu is reported before memory when both are short',
      machines: [machine('m1', { cpu: 1000, mem: Gi }), machine('m2', { cpu: 4000, mem: Gi })],
      requests: [request('a-1', { cpu: 2000, mem: 2 * Gi })],
      want: { 'a-1': 'unplaced: 0/2 machines fit: 1 has insufficient cpu (need 2, free 1), 1 has insufficient memory (need 2Gi, free 1Gi)' },
    },
    {
      name: 'a machine with no reported limit takes anything',
      machines: [{ name: 'm1', labels: {}, allocatable: { cpuMilli: Infinity, memoryBytes: Infinity }, schedulable: true }],
      requests: [request('a-1', { cpu: 64000, mem: 512 * Gi })],
      want: { 'a-1': 'm1' },
    },
  ]);
});

describe('machine selector', () => {
  const machines = [
    machine('m1', { labels: { region: 'eu', disk: 'ssd' } }),
    machine('m2', { labels: { region: 'us', disk: 'ssd' } }),
    machine('m3', { labels: { region: 'eu', disk: 'hdd' } }),
    machine('m4', { labels: { region: 'ap' } }),
  ];
  table([
    {
      name: 'one value: only machines with that label',
      machines,
      requests: [request('a-1', { machineSelector: { region: 'eu' } }), request('a-2', { machineSelector: { region: 'eu' } }), request('a-3', { machineSelector: { region: 'eu' } })],
      want: { 'a-1': 'm1', 'a-2': 'm3', 'a-3': 'm1' },
    },
    {
      name: 'a list is OR within the key',
      machines,
      requests: [request('a-1', { machineSelector: { region: ['us', 'ap'] } }), request('a-2', { machineSelector: { region: ['us', 'ap'] } })],
      want: { 'a-1': 'm2', 'a-2': 'm4' },
    },
    {
      name: 'keys are ANDed',
      machines,
      requests: [request('a-1', { machineSelector: { region: ['eu', 'us'], disk: 'hdd' } }), request('a-2', { machineSelector: { region: ['eu', 'us'], disk: 'hdd' } })],
      want: { 'a-1': 'm3', 'a-2': 'm3' },
    },
    {
      name: 'no machine matches: the reason names the first missing label of each',
      machines,
      requests: [request('a-1', { machineSelector: { region: 'eu', disk: 'nvme' } })],
      // keys are checked in name order: disk before region
      want: { 'a-1': 'unplaced: 0/4 machines fit: 4 lack label disk=nvme' },
    },
    {
      name: 'the reason groups machines by the label they lack',
      machines,
      requests: [request('a-1', { machineSelector: { region: ['us', 'eu'], disk: 'ssd' }, cpu: 8000 })],
      want: { 'a-1': 'unplaced: 0/4 machines fit: 2 lack label disk=ssd, 2 have insufficient cpu (need 8, most free 4)' },
    },
    {
      name: 'a list in the reason reads as "in"',
      machines,
      requests: [request('a-1', { machineSelector: { region: ['us', 'eu'], disk: 'hdd' }, cpu: 8000 })],
      want: { 'a-1': 'unplaced: 0/4 machines fit: 3 lack label disk=hdd, 1 has insufficient cpu (need 8, free 4)' },
    },
    {
      name: 'a missing key reads as the label lacking',
      machines,
      requests: [request('a-1', { machineSelector: { region: ['cn', 'jp'] } })],
      want: { 'a-1': 'unplaced: 0/4 machines fit: 4 lack label region in (cn, jp)' },
    },
  ]);
});

describe('unschedulable machines', () => {
  table([
    {
      name: 'are skipped',
      machines: [machine('m1', { schedulable: false }), machine('m2')],
      requests: [request('a-1'), request('a-2')],
      want: { 'a-1': 'm2', 'a-2': 'm2' },
    },
    {
      name: 'are named in the reason',
      machines: [machine('m1', { schedulable: false }), machine('m2', { schedulable: false }), machine('m3', { labels: { region: 'us' } })],
      requests: [request('a-1', { machineSelector: { region: 'eu' } })],
      want: { 'a-1': 'unplaced: 0/3 machines fit: 2 are unschedulable, 1 lacks label region=eu' },
    },
    {
      name: 'still count for usage and conflicts of their tasks do not matter elsewhere',
      machines: [machine('m1', { schedulable: false }), machine('m2')],
      existing: [running('db-1', 'm1', { conflicts: ['web'] })],
      requests: [request('web-1')],
      want: { 'web-1': 'm2' },
    },
  ]);
  it('with no machines at all, says so', () => {
    assert.deepEqual(placeTasks([request('a-1')], [], []).unplaced, [{ task: 'a-1', reason: 'no machines are registered' }]);
  });
});

describe('pinned machine', () => {
  const id = '0123456789abcdef0123456789abcdef';
  const machines = [machine('m1'), machine(id, { labels: { region: 'eu' }, cpu: 1000 }), machine('m2')];
  table([
    {
      name: 'places on that machine even when others have fewer tasks',
      machines,
      existing: [running('x-1', id), running('x-2', id)],
      requests: [request('a-1', { machine: id }), request('a-2', { machine: id })],
      want: { 'a-1': id, 'a-2': id },
    },
    {
      name: "a short (8-character) ID names the one machine it starts, as fleet's MachineID= does",
      machines,
      requests: [request('a-1', { machine: id.slice(0, 8) })],
      want: { 'a-1': id },
    },
    {
      name: 'a short ID that starts two machines names neither',
      machines: [machine(`${id.slice(0, 8)}${'0'.repeat(24)}`), machine(`${id.slice(0, 8)}${'1'.repeat(24)}`)],
      requests: [request('a-1', { machine: id.slice(0, 8) })],
      want: { 'a-1': `unplaced: machine "${id.slice(0, 8)}" (pinned) is not registered` },
    },
    {
      name: 'a machine that is not registered',
      machines,
      requests: [request('a-1', { machine: 'ffffffffffffffffffffffffffffffff' })],
      want: { 'a-1': 'unplaced: machine "ffffffffffffffffffffffffffffffff" (pinned) is not registered' },
    },
    {
      name: 'an unschedulable pinned machine',
      machines: [machine(id, { schedulable: false })],
      requests: [request('a-1', { machine: id })],
      want: { 'a-1': `unplaced: machine "${id}" (pinned) is unschedulable` },
    },
    {
      name: 'a pinned machine that lacks a label',
      machines,
      requests: [request('a-1', { machine: id, machineSelector: { region: 'us' } })],
      want: { 'a-1': `unplaced: machine "${id}" (pinned) lacks label region=us` },
    },
    {
      name: 'a pinned machine without room',
      machines,
      requests: [request('a-1', { machine: id, cpu: 600 }), request('a-2', { machine: id, cpu: 600 })],
      want: { 'a-1': id, 'a-2': `unplaced: machine "${id}" (pinned) has insufficient cpu (need 600m, free 400m)` },
    },
    {
      name: 'a pinned machine running a conflicting task',
      machines,
      existing: [running('web-1', id)],
      requests: [request('web-2', { machine: id, conflicts: ['web'] })],
      want: { 'web-2': `unplaced: machine "${id}" (pinned) runs a conflicting task (conflicts web)` },
    },
  ]);
});

describe('machineOf', () => {
  const machines = [machine('m1'), machine('m2'), machine('m3', { mem: 128 * Mi })];
  table([
    {
      name: 'goes to the machine of an existing task of the service',
      machines,
      existing: [running('db-1', 'm3')],
      requests: [request('app-1', { machineOf: 'db' }), request('app-2', { machineOf: 'db' })],
      want: { 'app-1': 'm3', 'app-2': 'm3' },
    },
    {
      name: 'follows a target placed earlier in the same pass',
      machines,
      existing: [running('x-1', 'm1')],
      requests: [request('db-1'), request('app-1', { machineOf: 'db' })],
      want: { 'db-1': 'm2', 'app-1': 'm2' },
    },
    {
      name: 'waits for a target placed later in the same pass',
      machines,
      existing: [running('x-1', 'm1')],
      requests: [request('app-1', { machineOf: 'db' }), request('db-1')],
      want: { 'app-1': 'm2', 'db-1': 'm2' },
    },
    {
      name: 'follows a chain listed backwards',
      machines,
      requests: [request('c-1', { machineOf: 'b' }), request('b-1', { machineOf: 'a' }), request('x-1'), request('a-1')],
      // x-1 → m1, a-1 → m2; then b-1 → m2; then c-1 → m2
      want: { 'x-1': 'm1', 'a-1': 'm2', 'b-1': 'm2', 'c-1': 'm2' },
    },
    {
      name: 'among several machines of the service, spreads',
      machines,
      existing: [running('db-1', 'm1'), running('db-2', 'm2'), running('x-1', 'm1')],
      requests: [request('app-1', { machineOf: 'db' }), request('app-2', { machineOf: 'db' }), request('app-3', { machineOf: 'db' })],
      want: { 'app-1': 'm2', 'app-2': 'm1', 'app-3': 'm2' },
    },
    {
      name: 'no machine runs the service',
      machines,
      requests: [request('app-1', { machineOf: 'db' })],
      want: { 'app-1': 'unplaced: no machine runs a task of service "db" (machineOf)' },
    },
    {
      name: 'the machine of the service is full',
      machines,
      existing: [running('db-1', 'm3', { mem: 100 * Mi })],
      requests: [request('app-1', { machineOf: 'db', mem: 64 * Mi })],
      want: { 'app-1': 'unplaced: 0/3 machines fit: 2 run no task of service "db" (machineOf), 1 has insufficient memory (need 64Mi, free 28Mi)' },
    },
    {
      name: 'with a selector the machine of the service does not match',
      machines: [machine('m1', { labels: { region: 'eu' } }), machine('m2', { labels: { region: 'us' } })],
      existing: [running('db-1', 'm2')],
      requests: [request('app-1', { machineOf: 'db', machineSelector: { region: 'eu' } })],
      want: { 'app-1': 'unplaced: 0/2 machines fit: 1 lacks label region=eu, 1 runs no task of service "db" (machineOf)' },
    },
    {
      name: 'with a pinned machine that runs the service',
      machines,
      existing: [running('db-1', 'm1'), running('db-2', 'm2')],
      requests: [request('app-1', { machineOf: 'db', machine: 'm2' })],
      want: { 'app-1': 'm2' },
    },
    {
      name: 'with a pinned machine that does not run the service',
      machines,
      existing: [running('db-1', 'm1')],
      requests: [request('app-1', { machineOf: 'db', machine: 'm2' })],
      want: { 'app-1': 'unplaced: machine "m2" (pinned) runs no task of service "db" (machineOf)' },
    },
  ]);
});

describe('conflicts', () => {
  table([
    {
      name: 'keep a task off machines running a service its globs match',
      machines: three,
      existing: [running('web-a-1', 'm1'), running('web-b-1', 'm2')],
      requests: [request('web-c-1', { conflicts: ['web-*'] })],
      want: { 'web-c-1': 'm3' },
    },
    {
      name: 'work the other way: an existing task whose globs match this service',
      machines: three,
      existing: [running('db-1', 'm1', { conflicts: ['web*'] }), running('x-1', 'm2'), running('x-2', 'm2'), running('x-3', 'm3'), running('x-4', 'm3')],
      requests: [request('web-1'), request('web-2')],
      // without the conflict both would go to m1, the least loaded
      want: { 'web-1': 'm2', 'web-2': 'm3' },
    },
    {
      name: 'apply to placements of the same pass, in both directions',
      machines: [machine('m1'), machine('m2')],
      existing: [running('x-1', 'm2')],
      requests: [request('db-1', { conflicts: ['web'] }), request('web-1'), request('cache-1', { conflicts: ['db'] })],
      // db-1 → m1; web-1 cannot join db → m2 (else m1, by name); cache-1 avoids db → m2 (else m1, fewer tasks)
      want: { 'db-1': 'm1', 'web-1': 'm2', 'cache-1': 'm2' },
    },
    {
      name: 'a glob matching the service itself keeps its replicas apart',
      machines: three,
      requests: ['web-1', 'web-2', 'web-3', 'web-4'].map((t) => request(t, { conflicts: ['web'] })),
      want: { 'web-1': 'm1', 'web-2': 'm2', 'web-3': 'm3', 'web-4': 'unplaced: 0/3 machines fit: 3 run a conflicting task (conflicts web)' },
    },
    {
      name: 'fleet template instances: foo@*.service keeps instances apart',
      machines: [machine('m1'), machine('m2')],
      requests: ['foo@1.service', 'foo@2.service', 'foo@3.service'].map((t) => request(t, { service: t, conflicts: ['foo@*.service'] })),
      want: { 'foo@1.service': 'm1', 'foo@2.service': 'm2', 'foo@3.service': 'unplaced: 0/2 machines fit: 2 run a conflicting task (conflicts foo@*.service)' },
    },
    {
      name: 'the reason names the glob on either side',
      machines: three,
      existing: [running('web-a-1', 'm1'), running('web-b-1', 'm2'), running('db-1', 'm3', { conflicts: ['web*'] })],
      requests: [request('web-c-1', { conflicts: ['web-*'] })],
      want: { 'web-c-1': 'unplaced: 0/3 machines fit: 2 run a conflicting task (conflicts web-*), 1 runs a conflicting task (service "db" conflicts web*)' },
    },
    {
      name: 'one-off tasks without a service are not matched by globs',
      machines: [machine('m1')],
      existing: [running('task-x1', 'm1', { service: undefined })],
      requests: [request('task-y1', { service: undefined, conflicts: ['*'] }), request('web-1', { conflicts: ['*'] })],
      want: { 'task-y1': 'm1', 'web-1': 'm1' },
    },
    {
      name: 'combined with a selector and resources, each machine is counted once, by its first failing constraint',
      machines: [
        machine('m1', { labels: { region: 'eu' } }),
        machine('m2', { labels: { region: 'eu' }, cpu: 500 }),
        machine('m3', { labels: { region: 'us' } }),
        machine('m4', { labels: { region: 'eu' }, schedulable: false }),
      ],
      existing: [running('web-a-1', 'm1'), running('web-a-2', 'm2')],
      requests: [request('web-b-1', { conflicts: ['web-a'], machineSelector: { region: 'eu' }, cpu: 1000 }), request('other-1', { machineSelector: { region: 'eu' }, cpu: 1000 })],
      want: {
        'web-b-1': 'unplaced: 0/4 machines fit: 1 is unschedulable, 1 lacks label region=eu, 2 run a conflicting task (conflicts web-a)',
        'other-1': 'm1',
      },
    },
  ]);
});

describe('a pass', () => {
  const machines = Array.from({ length: 20 }, (_, i) =>
    machine(`m${String(i).padStart(2, '0')}`, { labels: { zone: 'abc'[i % 3] }, cpu: 1000 * (1 + (i % 4)), mem: Gi * (1 + (i % 5)) }),
  );
  const requests: PlacementRequest[] = [];
  for (let s = 0; s < 30; s++) {
    for (let k = 0; k < 1 + (s % 7); k++) {
      requests.push(
        request(`s${s}-${k}`, {
          cpu: (s % 3) * 300,
          mem: (s % 4) * 200 * Mi,
          machineSelector: s % 5 === 0 ? { zone: ['a', 'b'] } : undefined,
          conflicts: s % 9 === 0 ? [`s${s + 1}`] : undefined,
          machineOf: s % 11 === 10 ? `s${s - 1}` : undefined,
          strategy: s % 4 === 3 ? 'binpack' : 'spread',
        }),
      );
    }
  }
  const existing = [running('x-1', 'm03', { cpu: 500 }), running('s1-9', 'm07', { conflicts: ['s2'] })];

  it('is deterministic and independent of the order machines are listed in', () => {
    const a = placeTasks(requests, machines, existing);
    const b = placeTasks(requests, [...machines].reverse(), existing);
    assert.deepEqual(a, b);
    assert.ok(a.placements.length > 50);
  });

  it('matches a machine-by-machine reference scheduler', () => {
    const got = outcome(placeTasks(requests, machines, existing));
    const want = referencePlace(requests, machines, existing);
    for (const [task, m] of Object.entries(want)) assert.equal(got[task]?.startsWith('unplaced') ? 'unplaced' : got[task], m, task);
  });

  it('never exceeds a machine’s allocatable', () => {
    const res = placeTasks(requests, machines, existing);
    const byTask = new Map(requests.map((r) => [r.task, r]));
    for (const m of machines) {
      let cpu = m.name === 'm03' ? 500 : 0;
      for (const p of res.placements) if (p.machine === m.name) cpu += byTask.get(p.task)!.request.cpuMilli;
      assert.ok(cpu <= m.allocatable.cpuMilli, `${m.name} holds ${cpu}m of ${m.allocatable.cpuMilli}m`);
    }
  });
});

describe('randomised against the reference scheduler', () => {
  for (let seed = 1; seed <= 12; seed++) {
    it(`seed ${seed}`, () => {
      const { machines, existing, requests } = randomCluster(seed);
      const got = outcome(placeTasks(requests, machines, existing));
      const want = referencePlace(requests, machines, existing);
      const simplified = Object.fromEntries(Object.entries(got).map(([t, m]) => [t, m.startsWith('unplaced') ? 'unplaced' : m]));
      assert.deepEqual(simplified, want);
    });
  }
});

it('rejects a machine listed twice', () => {
  assert.throws(() => placeTasks([], [machine('m1'), machine('m1')], []), /machine "m1" is listed twice/);
});

// The rules written the slow, obvious way: every request scans every machine.
function referencePlace(requests: PlacementRequest[], machines: MachineView[], existing: TaskView[]): Record<string, string> {
  const state = new Map(machines.map((m) => [m.name, { m, cpu: 0, mem: 0, tasks: [] as { service?: string; conflicts: string[] }[] }]));
  const add = (name: string, service: string | undefined, cpu: number, mem: number, conflicts: string[]) => {
    const s = state.get(name)!;
    s.cpu += cpu;
    s.mem += mem;
    s.tasks.push({ service, conflicts });
  };
  for (const t of existing) if (t.machine !== undefined && state.has(t.machine)) add(t.machine, t.service, t.request.cpuMilli, t.request.memoryBytes, t.conflicts ?? []);
  const glob = (g: string, name: string) => new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(name);
  const ok = (r: PlacementRequest, s: NonNullable<ReturnType<typeof state.get>>) => {
    const c = r.constraints;
    if (!s.m.schedulable) return false;
    if (c.machine !== undefined && c.machine !== s.m.name) return false;
    for (const [k, v] of Object.entries(c.machineSelector ?? {})) if (!(typeof v === 'string' ? [v] : v).includes(s.m.labels[k])) return false;
    if (c.machineOf !== undefined && !s.tasks.some((t) => t.service === c.machineOf)) return false;
    for (const t of s.tasks) {
      if (t.service !== undefined && (c.conflicts ?? []).some((g) => glob(g, t.service!))) return false;
      if (r.service !== undefined && t.conflicts.some((g) => glob(g, r.service!))) return false;
    }
    if (r.request.cpuMilli > 0 && s.cpu + r.request.cpuMilli > s.m.allocatable.cpuMilli) return false;
    if (r.request.memoryBytes > 0 && s.mem + r.request.memoryBytes > s.m.allocatable.memoryBytes) return false;
    return true;
  };
  const better = (a: NonNullable<ReturnType<typeof state.get>>, b: NonNullable<ReturnType<typeof state.get>>, binpack: boolean) => {
    const key = (s: typeof a) => (binpack ? [s.m.allocatable.cpuMilli - s.cpu, s.m.allocatable.memoryBytes - s.mem] : [s.tasks.length]);
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i];
    return a.m.name < b.m.name;
  };
  const out: Record<string, string> = {};
  const tryPlace = (r: PlacementRequest) => {
    let best: NonNullable<ReturnType<typeof state.get>> | undefined;
    for (const s of state.values()) if (ok(r, s) && (best === undefined || better(s, best, r.strategy === 'binpack'))) best = s;
    if (best === undefined) return false;
    add(best.m.name, r.service, r.request.cpuMilli, r.request.memoryBytes, r.constraints.conflicts ?? []);
    out[r.task] = best.m.name;
    return true;
  };
  let deferred: PlacementRequest[] = [];
  for (const r of requests) {
    if (tryPlace(r)) continue;
    if (r.constraints.machineOf !== undefined) deferred.push(r);
    else out[r.task] = 'unplaced';
  }
  for (;;) {
    const next = deferred.filter((r) => !tryPlace(r));
    if (next.length === deferred.length) break;
    deferred = next;
  }
  for (const r of deferred) out[r.task] = 'unplaced';
  return out;
}

function randomCluster(seed: number): { machines: MachineView[]; existing: TaskView[]; requests: PlacementRequest[] } {
  let x = seed * 2654435761;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const machines = Array.from({ length: 5 + Math.floor(rnd() * 40) }, (_, i) =>
    machine(`m${(i * 7919) % 1000}`, {
      labels: { zone: pick(['a', 'b', 'c']), disk: pick(['ssd', 'hdd']) },
      cpu: pick([500, 1000, 2000, 4000]),
      mem: pick([256, 512, 1024]) * Mi,
      schedulable: rnd() > 0.1,
    }),
  );
  const names = Array.from({ length: 12 }, (_, i) => `svc${i}`);
  const existing: TaskView[] = Array.from({ length: Math.floor(rnd() * 30) }, (_, i) =>
    running(`old${i}`, pick(machines).name, { service: pick(names), cpu: pick([0, 100, 300]), mem: pick([0, 64]) * Mi, conflicts: rnd() < 0.1 ? [pick(['svc1*', 'svc?'])] : undefined }),
  );
  const requests: PlacementRequest[] = [];
  for (let s = 0; s < 40; s++) {
    const service = pick(names);
    const opts = {
      service,
      cpu: pick([0, 0, 100, 250, 600]),
      mem: pick([0, 32, 128]) * Mi,
      machineSelector: rnd() < 0.3 ? pick<Record<string, string | string[]>>([{ zone: 'a' }, { zone: ['a', 'b'] }, { disk: 'ssd', zone: ['b', 'c'] }]) : undefined,
      conflicts: rnd() < 0.15 ? [pick(['svc1*', 'svc2', 'svc?', service])] : undefined,
      machineOf: rnd() < 0.08 ? pick(names) : undefined,
      machine: rnd() < 0.05 ? pick(machines).name : undefined,
      strategy: rnd() < 0.3 ? ('binpack' as const) : ('spread' as const),
    };
    const replicas = 1 + Math.floor(rnd() * 10);
    for (let k = 0; k < replicas; k++) requests.push(request(`t${s}-${k}`, opts));
  }
  // interleave requests of different kinds
  for (let i = requests.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [requests[i], requests[j]] = [requests[j], requests[i]];
  }
  return { machines, existing, requests };
}
