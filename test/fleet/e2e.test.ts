// End to end: fleet units submitted through the façade run as real processes on real agents,
// agents report their systemd-style states back, and stopping or destroying a unit stops them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startAgent, type RunningAgent } from '../../src/agent/run.js';
import { startTestServer, tempDir, until, type TestServer } from '../helpers.js';
import { processesWith } from '../e2e/cluster.js';
import { fleet } from './fleet.js';

// Agents run in this process (startAgent, as `drover dev` does); their tasks are real processes.
interface Cluster {
  server: TestServer;
  agents: RunningAgent[];
  marker: string;
  close(): Promise<void>;
}

async function startCluster(count: number): Promise<Cluster> {
  const server = await startTestServer({ machineGraceSeconds: 5 });
  const root = tempDir('drover-fleet-agents-');
  const agents: RunningAgent[] = [];
  for (let i = 0; i < count; i++) {
    agents.push(await startAgent({ server: server.url, dataDir: join(root, String(i)), id: randomBytes(16).toString('hex'), logLevel: 'error', heartbeatMs: 500 }));
  }
  const marker = `drover-fleet-e2e-${randomBytes(6).toString('hex')}`;
  return {
    server,
    agents,
    marker,
    close: async () => {
      for (const s of (await server.client.services.list()).items) await server.client.services.delete(s.metadata.name).catch(() => {});
      await until(async () => (await server.client.tasks.list()).items.length === 0, 'all tasks to be gone', 20_000).catch(() => {});
      for (const a of agents) await a.close(true);
      await server.close();
      for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
      rmSync(root, { recursive: true, force: true });
    },
  };
}

describe('fleet units on real agents', () => {
  let c: Cluster;
  let f: ReturnType<typeof fleet>;
  before(async () => {
    c = await startCluster(2);
    f = fleet(c.server.url);
  });
  after(() => c.close());

  const unit = (value: string, extra: { section: string; name: string; value: string }[] = []) => [
    { section: 'Unit', name: 'Description', value: 'fleet e2e' },
    { section: 'Service', name: 'Environment', value: `DROVER_E2E=${c.marker}` },
    { section: 'Service', name: 'ExecStart', value },
    ...extra,
  ];
  const stateOf = async (name: string) => (await f.get(`/state?unitName=${encodeURIComponent(name)}`)).json().states?.[0];

  test('both agents are fleet machines', async () => {
    await until(async () => (await f.get('/machines')).json().machines?.length === 2, 'both machines to be present');
    const machines = (await f.get('/machines')).json().machines;
    assert.deepEqual(machines.map((m: { id: string }) => m.id).sort(), c.agents.map((a) => a.id).sort());
  });

  test('a launched unit runs a real process and reports active/running; Conflicts spreads units', async () => {
    assert.equal((await f.put('/units/e2e-a.service', { desiredState: 'launched', options: unit('/bin/sleep 300', [{ section: 'X-Fleet', name: 'Conflicts', value: 'e2e-*.service' }]) })).status, 201);
    assert.equal((await f.put('/units/e2e-b.service', { desiredState: 'launched', options: unit('/bin/sleep 301', [{ section: 'X-Fleet', name: 'Conflicts', value: 'e2e-*.service' }]) })).status, 201);
    const a = await until(async () => ((await stateOf('e2e-a.service'))?.systemdActiveState === 'active' ? stateOf('e2e-a.service') : undefined), 'e2e-a to be active', 20_000);
    const b = await until(async () => ((await stateOf('e2e-b.service'))?.systemdActiveState === 'active' ? stateOf('e2e-b.service') : undefined), 'e2e-b to be active', 20_000);
    assert.equal(a.systemdSubState, 'running');
    assert.notEqual(a.machineID, b.machineID, 'Conflicts keeps them apart');
    const unitA = (await f.get('/units/e2e-a.service')).json();
    assert.equal(unitA.currentState, 'launched');
    assert.equal(unitA.machineID, a.machineID);
    // A simple unit is active once forked (as systemd says); its command carries the marker once it has exec'd.
    await until(() => processesWith(c.marker).length >= 2, 'the real processes of both units to run');
  });

  test('desiredState inactive stops the process and the state goes away; DELETE removes the unit', async () => {
    assert.equal((await f.put('/units/e2e-a.service', { desiredState: 'inactive' })).status, 204);
    await until(async () => (await stateOf('e2e-a.service')) === undefined, 'e2e-a state to be gone', 20_000);
    assert.equal((await f.get('/units/e2e-a.service')).json().currentState, 'inactive');
    assert.equal((await f.del('/units/e2e-b.service')).status, 204);
    assert.equal(await stateOf('e2e-b.service'), undefined);
    await until(() => processesWith(c.marker).length === 0, 'the processes to stop', 20_000);
  });
});
