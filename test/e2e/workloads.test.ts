// The workload controller's incremental view of the tasks (WorkloadIndex) must never go stale:
// every case here changes tasks, services or machines behind its back and checks that placement
// and replica counts follow. Hollow machines (real agent code, no processes) keep it fast; each
// machine offers 1 cpu, so a stale count of used cpu leaves tasks unplaced.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHollowAgents, type HollowAgents } from '../../src/agent/hollow.js';
import type { Service, Task } from '../../src/client/client.js';
import { startTestServer, until, type TestServer } from '../helpers.js';

const LIVE = (t: Task) => !['Lost', 'Failed', 'Succeeded'].includes(t.status?.phase ?? '') && !t.metadata.deletionTimestamp;

describe('the workload controller follows every change to tasks, services and machines', () => {
  let s: TestServer;
  let fleet: HollowAgents;
  before(async () => {
    s = await startTestServer({ controllers: true, machineGraceSeconds: 2 });
    fleet = await startHollowAgents({ server: s.url, count: 2, cpu: '1', memory: 2 ** 30, heartbeatMs: 300, logLevel: 'error' });
  });
  after(async () => {
    await fleet.close();
    await s.close();
  });

  const tasksOf = async (service: string) => (await s.client.tasks.list({ fieldSelector: `metadata.owner=${service}` })).items;
  const liveOf = async (service: string) => (await tasksOf(service)).filter(LIVE);
  const put = (name: string, replicas: number, cpu = '500m', extra: Partial<Service['spec']> = {}) =>
    s.client.services.replace({ metadata: { name }, spec: { replicas, template: { command: ['/bin/sleep', '300'], resources: { cpu } }, ...extra } });
  const running = (service: string, n: number) =>
    until(async () => {
      const live = await liveOf(service);
      return live.length === n && live.every((t) => t.status?.phase === 'Running') && live;
    }, `${n} running tasks of ${service}`, 15_000);

  it('frees the resources of tasks removed by a scale-down for the next service', async () => {
    await put('fill', 4); // 4 × 500m fills both machines
    await running('fill', 4);
    await put('fill', 2);
    await until(async () => (await tasksOf('fill')).length === 2, 'the scale-down to delete two tasks', 15_000);
    await put('next', 2);
    await running('next', 2);
    await s.client.services.delete('next');
    await until(async () => (await tasksOf('next')).length === 0, 'the deleted service to lose its tasks', 15_000);
  });

  it('replaces a deleted task, and counts the replacement instead of the old one', async () => {
    const [victim] = await liveOf('fill');
    await s.client.tasks.delete(victim!.metadata.name);
    const live = await until(async () => {
      const ts = await running('fill', 2);
      return !ts.some((t) => t.metadata.name === victim!.metadata.name) && ts;
    }, 'a replacement', 15_000);
    assert.equal(live.length, 2);
    // Exactly 1 cpu left in the cluster: two more 500m tasks fit, a third does not.
    await put('rest', 3);
    const unplaced = await until(async () => {
      const ts = await liveOf('rest');
      return ts.length === 3 && ts.filter((t) => t.status?.phase === 'Running').length === 2 && ts.find((t) => !t.spec.machine);
    }, 'two of three tasks placed', 15_000);
    assert.match(unplaced.status?.conditions?.find((c) => c.type === 'Scheduled')?.message ?? '', /insufficient cpu/);
    await s.client.services.delete('rest');
    await until(async () => (await tasksOf('rest')).length === 0, 'rest to be gone', 15_000);
  });

  it('gives a recreated service new tasks and removes the old service\'s', async () => {
    const old = await liveOf('fill');
    const oldUid = (await s.client.services.get('fill')).metadata.uid;
    await s.client.services.delete('fill');
    await put('fill', 2);
    const fresh = await until(async () => {
      const ts = await running('fill', 2);
      return ts.every((t) => t.metadata.ownerReferences?.[0]?.uid !== oldUid && !old.some((o) => o.metadata.name === t.metadata.name)) && ts;
    }, 'the recreated service to run its own tasks', 15_000);
    assert.equal(fresh.length, 2);
  });

  it('replaces the tasks of a lost machine on the machines left, within their capacity', async () => {
    await put('fill', 2, '400m');
    await until(async () => {
      const ts = await liveOf('fill');
      return ts.length === 2 && ts.every((t) => t.status?.phase === 'Running' && t.metadata.labels?.['drover.io/template-hash']) && new Set(ts.map((t) => t.spec.machine)).size === 2;
    }, 'one task per machine', 15_000);
    const victim = fleet.agents[0]!;
    await victim.close(false); // its heartbeats stop
    const moved = await until(async () => {
      const ts = await running('fill', 2);
      return ts.every((t) => t.spec.machine !== victim.id) && ts;
    }, 'both tasks on the machine left', 20_000);
    assert.equal(new Set(moved.map((t) => t.spec.machine)).size, 1);
    // 800m used there: another 400m does not fit anywhere now.
    await put('more', 1, '400m');
    await until(async () => (await liveOf('more')).some((t) => !t.spec.machine && t.status?.phase === 'Pending'), 'the extra task to stay pending', 15_000);
  });
});
