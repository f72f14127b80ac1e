// Machine maintenance: a window drains the machine when it opens, keeps tasks off it while open
// (the CLI and fleet's view show it), and lets them back when it ends.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Event } from '../../src/client/client.js';
import { http, until } from '../helpers.js';
import { drover } from '../cli/drover.js';
import { startCluster, type Cluster } from './cluster.js';

describe('machine maintenance', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster(2);
  });
  after(() => c.close());

  const tasksOf = async (svc: string) => (await c.client.tasks.list({ fieldSelector: `metadata.owner=${svc}` })).items.filter((t) => !t.metadata.deletionTimestamp && !['Lost', 'Failed', 'Succeeded'].includes(t.status?.phase ?? ''));
  const maintenance = async (machine: string) => (await c.client.machines.get(machine)).status?.conditions?.find((x) => x.type === 'Maintenance');

  it('a window that opens drains the machine, keeps new tasks off it and ends by itself', async () => {
    const [a, b] = [c.agents[0]!.id, c.agents[1]!.id];
    await c.client.services.create({ metadata: { name: 'spread' }, spec: { replicas: 2, template: { command: ['sleep', '300'], env: c.env() } } });
    await until(async () => {
      const on = (await tasksOf('spread')).filter((t) => t.status?.phase === 'Running').map((t) => t.spec.machine);
      return on.includes(a) && on.includes(b);
    }, 'a task running on each machine');

    const bad = await c.client.machines.patch(a, { spec: { maintenance: { start: 'tomorrow' } } }).catch((e: unknown) => e);
    assert.equal((bad as { code: number }).code, 422);
    assert.equal((await c.client.machines.get(a)).spec?.maintenance, undefined, 'a refused window changes nothing');

    // Open now, no end yet: the machine's task moves to the other one.
    await c.client.machines.patch(a, { spec: { maintenance: { reason: 'kernel upgrade' } } });
    await until(async () => (await maintenance(a))?.status === 'True', 'the Maintenance condition');
    await until(async () => {
      const live = await tasksOf('spread');
      return live.length === 2 && live.every((t) => t.spec.machine === b && t.status?.phase === 'Running');
    }, 'both tasks to run on the other machine');
    // A service pinned to it waits; the table and fleet's view say why.
    await c.client.services.create({ metadata: { name: 'pinned' }, spec: { replicas: 1, constraints: { machine: a }, template: { command: ['sleep', '300'], env: c.env() } } });
    const waiting = await until(async () => (await tasksOf('pinned')).find((t) => t.status?.conditions?.some((x) => x.type === 'Scheduled' && x.status === 'False')), 'the pinned task to wait');
    assert.equal(waiting.spec.machine, undefined);
    const table = await drover(['--server', c.server.url, 'get', 'machines']);
    assert.match(table.stdout, new RegExp(`${a.slice(0, 8)}\\S*\\s+Ready,Maintenance`));
    const fleet = (await http(`${c.server.url}/fleet/v1/machines`, { headers: c.auth })).json() as { machines: { id: string; metadata?: Record<string, string> }[] };
    assert.equal(fleet.machines.find((m) => m.id === a)?.metadata?.maintenance, 'true');
    assert.equal(fleet.machines.find((m) => m.id === b)?.metadata?.maintenance, undefined);

    // The window gets an end a moment away (through the CLI): then the machine takes tasks again.
    const set = await drover(['--server', c.server.url, 'machine', 'maintain', a, '--end', '1s', '--reason', 'kernel upgrade']);
    assert.equal(set.code, 0, set.stderr);
    await until(async () => (await maintenance(a))?.status === 'False', 'the window to close');
    await until(async () => (await tasksOf('pinned')).some((t) => t.spec.machine === a && t.status?.phase === 'Running'), 'the pinned task to run there');
    const reasons = (await c.client.events.list({ fieldSelector: `spec.involvedObject.kind=Machine,spec.involvedObject.name=${a}` })).items.map((e: Event) => e.spec.reason);
    for (const r of ['MaintenanceStarted', 'Evicting', 'MaintenanceEnded']) assert.ok(reasons.includes(r), `${r} in ${reasons.join(', ')}`);
    // describe ends with the machine's recent events.
    const described = await drover(['--server', c.server.url, 'describe', 'machine', a]);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /Events:[\s\S]*MaintenanceStarted[\s\S]*MaintenanceEnded/);
  });
});
