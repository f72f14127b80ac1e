// Units behave as fleet and systemd run them, through fleet's API, on real agents: systemd's
// Restart= decides restarts, a finished unit stays where it ran, a failed unit is still
// "launched" (so stop and unload work), Replaces= pushes the replaced unit off the machine, and
// placement follows machine labels when they change.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Task } from '../../src/client/client.js';
import { until } from '../helpers.js';
import { fleet } from '../fleet/fleet.js';
import { startCluster, type Cluster } from './cluster.js';

type Option = { section: string; name: string; value: string };

describe('fleet units on real agents', () => {
  let c: Cluster;
  let f: ReturnType<typeof fleet>;
  before(async () => {
    c = await startCluster(2, { secure: true, machineGraceSeconds: 15, labels: (i) => ({ agent: String(i), region: i === 0 ? 'eu' : 'us' }) });
    f = fleet(c.server.url, undefined, c.auth);
  });
  after(() => c.close());

  const unit = (...lines: [string, string, string][]): Option[] => [
    { section: 'Service', name: 'Environment', value: `DROVER_E2E=${c.marker}` },
    ...lines.map(([section, name, value]) => ({ section, name, value })),
  ];
  const tasksOf = async (name: string): Promise<Task[]> =>
    (await c.client.tasks.list({ fieldSelector: `metadata.owner=${name}` })).items.filter((t) => !t.metadata.deletionTimestamp);
  const fleetUnit = async (name: string) => (await f.get(`/units/${encodeURIComponent(name)}`)).json();
  const stateRows = async (name: string) => (await f.get(`/state?unitName=${encodeURIComponent(name)}`)).json().states ?? [];

  it('ExecStart=/bin/false ends failed/failed on its machine: one task, one state row, still launched', async () => {
    assert.equal((await f.put('/units/broken.service', { desiredState: 'launched', options: unit(['Service', 'ExecStart', '/bin/false']) })).status, 201);
    const [failed] = await until(async () => {
      const ts = await tasksOf('broken.service');
      return ts.length === 1 && ts[0]!.status?.unitState?.active === 'failed' && ts;
    }, 'the unit to fail');
    assert.equal(failed!.status?.unitState?.sub, 'failed');
    // fleet keeps it launched where it is, whatever its process did.
    const u = await fleetUnit('broken.service');
    assert.equal(u.currentState, 'launched');
    assert.equal(u.machineID, failed!.spec.machine);
    assert.deepEqual((await stateRows('broken.service')).map((r: { systemdActiveState: string }) => r.systemdActiveState), ['failed']);
    // Nothing replaces it, nothing restarts it: after the controllers had every chance, still the same one task.
    await c.client.services.patch('broken.service', { metadata: { annotations: { poke: '1' } } });
    await until(async () => (await c.client.services.get('broken.service')).status?.state === 'failed', 'the service to say failed');
    const after = await tasksOf('broken.service');
    assert.deepEqual(after.map((t) => t.metadata.uid), [failed!.metadata.uid]);
  });

  it('stop makes a failed unit loaded (on the same machine) and unload makes it inactive, without hanging', async () => {
    const before = (await tasksOf('broken.service'))[0]!;
    assert.equal((await f.put('/units/broken.service', { desiredState: 'loaded' })).status, 204);
    await until(async () => (await fleetUnit('broken.service')).currentState === 'loaded', 'the unit to be loaded');
    const loaded = await until(async () => {
      const ts = await tasksOf('broken.service');
      return ts.length === 1 && ts[0]!.status?.unitState?.active === 'inactive' && ts[0];
    }, 'the loaded unit to report inactive/dead');
    assert.equal(loaded.spec.machine, before.spec.machine, 'no hopping between machines');
    assert.deepEqual((await stateRows('broken.service')).map((r: { systemdSubState: string }) => r.systemdSubState), ['dead']);
    assert.equal((await f.put('/units/broken.service', { desiredState: 'inactive' })).status, 204);
    await until(async () => (await fleetUnit('broken.service')).currentState === 'inactive' && (await tasksOf('broken.service')).length === 0, 'the unit to be unloaded');
  });

  it('a oneshot without RemainAfterExit runs once and ends inactive/dead', async () => {
    await f.put('/units/once.service', {
      desiredState: 'launched',
      options: unit(['Service', 'Type', 'oneshot'], ['Service', 'ExecStart', '/bin/sh -c "echo ran"']),
    });
    const [t] = await until(async () => {
      const ts = await tasksOf('once.service');
      return ts.length === 1 && ts[0]!.status?.phase === 'Succeeded' && ts;
    }, 'the oneshot to finish');
    assert.deepEqual(t!.status?.unitState && [t!.status.unitState.active, t!.status.unitState.sub], ['inactive', 'dead']);
    assert.equal(t!.status?.restarts ?? 0, 0);
    assert.equal((await fleetUnit('once.service')).currentState, 'launched');
    assert.equal((await tasksOf('once.service')).length, 1);
    await f.del('/units/once.service');
  });

  it('Restart=always on a command that fails at once stops at systemd\'s start limit: failed/failed, start-limit-hit, on its machine', async () => {
    await f.put('/units/flap.service', { desiredState: 'launched', options: unit(['Service', 'ExecStart', '/bin/false'], ['Service', 'Restart', 'always']) });
    // RestartSec= defaults to 100ms and the limit to 5 starts in 10 s: systemd gives up within a second.
    const [failed] = await until(async () => {
      const ts = await tasksOf('flap.service');
      return ts.length === 1 && ts[0]!.status?.phase === 'Failed' && ts;
    }, 'the unit to hit its start limit');
    assert.equal(failed!.status?.reason, 'StartLimitHit');
    assert.match(failed!.status?.message ?? '', /start request repeated too quickly/);
    assert.deepEqual([failed!.status?.unitState?.active, failed!.status?.unitState?.sub], ['failed', 'failed']);
    assert.equal(failed!.status?.restarts, 4, 'five starts: the first and four restarts');
    assert.equal((await fleetUnit('flap.service')).currentState, 'launched');
    await f.put('/units/flap.service', { desiredState: 'inactive' });
  });

  it('a unit just loaded shows loaded/inactive/dead', async () => {
    await f.put('/units/idle.service', { desiredState: 'loaded', options: unit(['Service', 'ExecStart', '/bin/sleep 300']) });
    const rows = await until(async () => {
      const r = await stateRows('idle.service');
      return r.length === 1 && r;
    }, 'a state row for the loaded unit');
    assert.deepEqual([rows[0].systemdLoadState, rows[0].systemdActiveState, rows[0].systemdSubState], ['loaded', 'inactive', 'dead']);
    assert.equal((await fleetUnit('idle.service')).currentState, 'loaded');
    await f.del('/units/idle.service');
  });

  it('Replaces= moves the replaced unit off the machine the replacing one takes', async () => {
    const [a, b] = [c.agents[0]!.id, c.agents[1]!.id];
    await f.put('/units/old.service', { desiredState: 'launched', options: unit(['Service', 'ExecStart', '/bin/sleep 300']) });
    const old = await until(async () => (await tasksOf('old.service')).find((t) => t.status?.phase === 'Running'), 'old.service to run');
    const taken = old.spec.machine!;
    const other = taken === a ? b : a;
    // fleet refuses MachineID with Replaces: the replacing unit is led there by metadata.
    const put = await f.put('/units/new.service', {
      desiredState: 'launched',
      options: unit(['Service', 'ExecStart', '/bin/sleep 300'], ['X-Fleet', 'MachineMetadata', `agent=${taken === a ? 0 : 1}`], ['X-Fleet', 'Replaces', 'old.service']),
    });
    assert.equal(put.status, 201, put.text);
    await until(async () => (await tasksOf('new.service')).some((t) => t.spec.machine === taken && t.status?.phase === 'Running'), 'new.service to run where old.service was');
    await until(async () => {
      const ts = await tasksOf('old.service');
      return ts.length === 1 && ts[0]!.spec.machine === other && ts[0]!.status?.phase === 'Running';
    }, 'old.service to move to the other machine', 20_000);
    await f.del('/units/new.service');
    await f.del('/units/old.service');
  });

  it('several MachineOf= are all honoured', async () => {
    const [a] = [c.agents[0]!.id];
    for (const name of ['p1.service', 'p2.service']) {
      await f.put(`/units/${name}`, { desiredState: 'launched', options: unit(['Service', 'ExecStart', '/bin/sleep 300'], ['X-Fleet', 'MachineID', a]) });
    }
    await f.put('/units/follower.service', {
      desiredState: 'launched',
      options: unit(['Service', 'ExecStart', '/bin/sleep 300'], ['X-Fleet', 'MachineOf', 'p1.service'], ['X-Fleet', 'MachineOf', 'p2.service']),
    });
    const t = await until(async () => (await tasksOf('follower.service')).find((x) => x.spec.machine), 'follower to be placed');
    assert.equal(t.spec.machine, a);
    // Without p2 there, no machine has both.
    await f.del('/units/follower.service');
    await f.del('/units/p2.service');
    await until(async () => (await tasksOf('p2.service')).length === 0, 'p2 to go');
    await f.put('/units/follower2.service', {
      desiredState: 'launched',
      options: unit(['Service', 'ExecStart', '/bin/sleep 300'], ['X-Fleet', 'MachineOf', 'p1.service'], ['X-Fleet', 'MachineOf', 'p2.service']),
    });
    const pending = await until(async () => (await tasksOf('follower2.service')).find((x) => x.status?.conditions?.some((k) => k.type === 'Scheduled' && k.status === 'False')), 'follower2 to be unschedulable');
    assert.match(pending.status!.conditions!.find((k) => k.type === 'Scheduled')!.message!, /p2\.service/);
    for (const n of ['follower2.service', 'p1.service']) await f.del(`/units/${n}`);
  });

  it('a task whose machine no longer has the selected labels moves to one that has them', async () => {
    const [eu, us] = [c.agents[0]!.id, c.agents[1]!.id];
    await c.client.services.create({
      metadata: { name: 'euonly' },
      spec: { replicas: 1, template: { command: ['sleep', '300'], env: c.env() }, constraints: { machineSelector: { region: 'eu' } } },
    });
    await until(async () => (await tasksOf('euonly')).some((t) => t.spec.machine === eu && t.status?.phase === 'Running'), 'the task to run on the eu machine');
    await c.client.machines.patch(eu, { metadata: { labels: { region: 'us' } } });
    await c.client.machines.patch(us, { metadata: { labels: { region: 'eu' } } });
    await until(async () => {
      const ts = (await tasksOf('euonly')).filter((t) => t.status?.phase !== 'Succeeded' && t.status?.phase !== 'Failed');
      return ts.length === 1 && ts[0]!.spec.machine === us && ts[0]!.status?.phase === 'Running';
    }, 'the task to move to the machine now labelled eu', 20_000);
    await c.client.services.delete('euonly');
  });

  it("labels set through the API win over an agent's --labels when it restarts", async () => {
    const agent = c.agents[1]!;
    await c.client.machines.patch(agent.id, { metadata: { labels: { role: 'db', agent: 'renamed' } } });
    await agent.stop();
    await c.startAgent(1, { id: agent.id, dataDir: agent.dataDir, labels: { agent: '1', extra: 'new' } });
    const m = await until(async () => {
      const x = await c.client.machines.get(agent.id);
      return x.metadata.labels?.extra && x;
    }, 'the restarted agent to register its new label');
    assert.equal(m.metadata.labels?.agent, 'renamed', 'the API value is kept');
    assert.equal(m.metadata.labels?.role, 'db');
    assert.equal(m.metadata.labels?.extra, 'new', 'a label the machine did not have is added');
  });
});
