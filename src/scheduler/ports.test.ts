import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResolvedPort } from '../model/template.js';
import { Cluster } from './cluster.js';
import { globalPlacements } from './global.js';
import { placeTasks } from './place.js';
import { parsePortRange } from './ports.js';
import { machine, request, running } from './testdata/builders.js';
import type { PlacementRequest, TaskView } from './types.js';

const two = [machine('m1'), machine('m2')];
const http: ResolvedPort[] = [{ name: 'http', port: 80, protocol: 'tcp' }];
const dynamic = (n = 1, protocol: 'tcp' | 'udp' = 'tcp'): ResolvedPort[] => Array.from({ length: n }, (_, i) => ({ name: `p${i}`, protocol }));
const withPorts = (task: string, ports: ResolvedPort[], extra: Parameters<typeof request>[1] = {}): PlacementRequest => ({ ...request(task, extra), ports });
const holding = (t: TaskView, ports: { port: number; protocol: 'tcp' | 'udp' }[]): TaskView => ({ ...t, ports });

describe('fixed ports', () => {
  it('two tasks asking for fixed 80/tcp never share a machine, and a third has nowhere to go, saying why', () => {
    const res = placeTasks([withPorts('a-1', http), withPorts('b-1', http), withPorts('c-1', http)], two, []);
    assert.deepEqual(
      res.placements.map((p) => [p.task, p.machine, p.ports]),
      [
        ['a-1', 'm1', [{ name: 'http', port: 80, protocol: 'tcp' }]],
        ['b-1', 'm2', [{ name: 'http', port: 80, protocol: 'tcp' }]],
      ],
    );
    assert.deepEqual(res.unplaced, [{ task: 'c-1', reason: '0/2 machines fit: 2 have port 80/tcp in use' }]);
  });

  it('counts the ports of tasks already bound, per protocol', () => {
    const existing = [holding(running('old-1', 'm1'), [{ port: 80, protocol: 'tcp' }])];
    const res = placeTasks([withPorts('web-1', http), withPorts('dns-1', [{ name: 'dns', port: 80, protocol: 'udp' }])], two, existing);
    // web avoids m1 (80/tcp taken) even though spread prefers it; 80/udp is another port.
    assert.deepEqual(
      res.placements.map((p) => [p.task, p.machine]),
      [
        ['web-1', 'm2'],
        ['dns-1', 'm1'],
      ],
    );
  });

  it('a pinned task whose fixed port is taken there is unplaced with the port named', () => {
    const existing = [holding(running('old-1', 'm1'), [{ port: 80, protocol: 'tcp' }])];
    const res = placeTasks([withPorts('web-1', http, { machine: 'm1' })], two, existing);
    assert.deepEqual(res.unplaced, [{ task: 'web-1', reason: 'machine "m1" (pinned) has port 80/tcp in use' }]);
  });

  it('a global service leaves out machines whose port is taken by another task, not by its own', () => {
    const existing = [holding(running('other-1', 'm1'), [{ port: 80, protocol: 'tcp' }]), holding(running('edge-1', 'm2', { service: 'edge' }), [{ port: 80, protocol: 'tcp' }])];
    const res = globalPlacements({ service: 'edge', request: { cpuMilli: 0, memoryBytes: 0 }, constraints: {}, ports: http }, two, existing);
    assert.deepEqual(res, { machines: ['m2'], excluded: '1/2 machines eligible: 1 has port 80/tcp in use' });
  });
});

describe('dynamic ports', () => {
  it('never clash with fixed or dynamic ports on the machine, placements of the same pass included', () => {
    const range = { from: 20000, to: 20009 };
    const existing = [holding(running('old-1', 'm1'), [20000, 20001, 20002, 20003].map((port) => ({ port, protocol: 'tcp' as const })))];
    const requests = Array.from({ length: 3 }, (_, i) => withPorts(`web-${i}`, [...dynamic(2), { name: 'admin', port: 20005, protocol: 'tcp' }], { machine: 'm1' }));
    // Only one of them can have fixed 20005; the other two stay unplaced; api takes the last 3 free.
    const res = placeTasks([...requests, withPorts('api-1', dynamic(3), { machine: 'm1' })], [machine('m1')], existing, { portRange: range });
    const used = new Set<number>([20000, 20001, 20002, 20003]);
    for (const p of res.placements) {
      for (const port of p.ports!) {
        assert.ok(port.port >= range.from && port.port <= range.to, `${port.port} out of range`);
        assert.ok(!used.has(port.port), `${port.port} given twice`);
        used.add(port.port);
      }
    }
    assert.equal(res.placements.length, 2);
    assert.deepEqual(
      res.placements[0].ports!.map((p) => p.name),
      ['p0', 'p1', 'admin'],
      'in template order',
    );
    assert.equal(res.unplaced.length, 2);
  });

  it('reports the range used up as the reason, per protocol', () => {
    const range = { from: 30000, to: 30001 };
    const res = placeTasks([withPorts('a-1', dynamic(2)), withPorts('b-1', dynamic(1)), withPorts('c-1', dynamic(1, 'udp'))], [machine('m1')], [], { portRange: range });
    assert.deepEqual(
      res.placements.map((p) => [p.task, p.ports!.map((x) => `${x.port}/${x.protocol}`).sort()]),
      [
        ['a-1', ['30000/tcp', '30001/tcp']],
        ['c-1', [res.placements[1].ports![0].port + '/udp']],
      ],
    );
    assert.deepEqual(res.unplaced, [{ task: 'b-1', reason: '0/1 machines fit: 1 has no free tcp port in the dynamic range 30000-30001' }]);
  });

  it('spreads replicas over machines and gives each task its own ports, deterministically', () => {
    const requests = Array.from({ length: 4 }, (_, i) => withPorts(`web-${i}`, dynamic(1)));
    const a = placeTasks(requests, two, []);
    const b = placeTasks(requests, two, []);
    assert.deepEqual(a, b);
    const perMachine = new Map<string, number[]>();
    for (const p of a.placements) perMachine.set(p.machine, [...(perMachine.get(p.machine) ?? []), p.ports![0].port]);
    for (const [, ports] of perMachine) assert.equal(new Set(ports).size, ports.length);
    assert.deepEqual([...perMachine.keys()].sort(), ['m1', 'm2']);
  });

  it('a usage base kept with addTask/removeTask frees a removed task\'s ports, and forks do not leak into it', () => {
    const held = holding(running('old-1', 'm1'), [{ port: 80, protocol: 'tcp' }]);
    const machines = [machine('m1')];
    const base = new Cluster(machines, [held]);
    assert.equal(placeTasks([withPorts('web-1', http)], machines, base).unplaced.length, 1);
    base.removeTask(held);
    assert.equal(placeTasks([withPorts('web-1', http)], machines, base).placements.length, 1);
    // The fork above placed web-1 on 80; the base did not see it.
    assert.equal(placeTasks([withPorts('web-2', http)], machines, base).placements.length, 1);
    base.addTask(held);
    assert.equal(placeTasks([withPorts('web-2', http)], machines, base).unplaced.length, 1);
  });

  it('tasks without ports are placed as before (fleet units declare none)', () => {
    const res = placeTasks([request('unit-1'), request('unit-2')], two, []);
    assert.deepEqual(
      res.placements.map((p) => [p.task, p.machine, p.ports]),
      [
        ['unit-1', 'm1', undefined],
        ['unit-2', 'm2', undefined],
      ],
    );
  });
});

describe('parsePortRange', () => {
  it('reads FIRST-LAST and refuses anything else', () => {
    assert.deepEqual(parsePortRange('20000-29999'), { from: 20000, to: 29999 });
    for (const bad of ['', '20000', '2-1', '0-10', '1-70000', 'a-b']) assert.throws(() => parsePortRange(bad), /not a port range/, bad);
  });
});
