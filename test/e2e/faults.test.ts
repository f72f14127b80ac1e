// Faults around the agents: a server that comes back on an empty store, and a machine that is
// cut off for longer than its grace period. Real server, real agent processes, real tasks.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Task } from '../../src/client/client.js';
import { tempDir, until } from '../helpers.js';
import { processesWith, startCluster, type Cluster } from './cluster.js';

const sleeper = (c: Cluster, command: string[]) => ({ spec: { template: { command, env: c.env() } } });

describe('an agent whose server comes back on another store', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster(1, { machineGraceSeconds: 4 });
  });
  after(() => c.close());

  it('stops nothing, says why, and resumes when the right store is back', async () => {
    const agent = c.agents[0]!;
    const t = await c.client.tasks.create({ metadata: { name: 'keeper' }, ...sleeper(c, ['sleep', '300']) });
    const running = await until(async () => {
      const x = await c.client.tasks.get(t.metadata.name);
      return x.status?.phase === 'Running' && x.status.pid && x;
    }, 'the task to run');
    const pid = running.status!.pid!;

    // The server restarts on an empty data dir: a new store, another cluster, no tasks at all.
    await c.server.restart({ dataDir: tempDir('drover-empty-') });
    await until(() => agent.output().includes('but this agent belongs to cluster'), 'the agent to say it found another cluster', 15_000);
    assert.ok(processesWith(c.marker).includes(pid), 'the task still runs');
    assert.equal((await c.client.machines.find(agent.id)), undefined, 'the agent registers nothing in the foreign store');
    // A dataset placed on this machine in the foreign store: the agent must not make it (nor
    // move or delete anything for that store). It would act within milliseconds of the event;
    // the restart below takes far longer.
    const foreign = await c.client.datasets.create({ metadata: { name: 'foreign' }, spec: { primary: agent.id } });
    const foreignDir = join(agent.dataDir, 'datasets', foreign.spec.id!);

    // The right store is back: the agent resumes, and its task was never stopped.
    await c.server.restart();
    assert.equal(existsSync(foreignDir), false, 'a frozen agent made a dataset of the foreign store');
    await until(() => agent.output().includes("the server answers for this agent's cluster again"), 'the agent to resume', 15_000);
    const after = await until(async () => {
      const x = await c.client.tasks.get('keeper');
      return x.status?.phase === 'Running' && x;
    }, 'the task to be Running');
    assert.equal(after.status?.pid, pid);
    assert.ok(processesWith(c.marker).includes(pid));
  });

  it('with --accept-new-cluster it joins the new store, and stops what that store does not have', async () => {
    const agent = c.agents[0]!;
    const pid = (await c.client.tasks.get('keeper')).status!.pid!;
    await agent.stop();
    const fresh = tempDir('drover-fresh-');
    await c.server.restart({ dataDir: fresh });
    await c.startAgent(0, { id: agent.id, dataDir: agent.dataDir, args: ['--accept-new-cluster'] });
    await until(() => !processesWith(c.marker).includes(pid), 'the task the new store does not have to be stopped', 15_000);
    await c.server.restart();
  });
});

describe('a machine cut off for longer than its grace period', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster(1, { machineGraceSeconds: 3 });
  });
  after(() => c.close());

  const phase = async (name: string) => (await c.client.tasks.get(name)).status?.phase;

  it('one-off tasks are Unknown while it is silent and Running (or their real end) when it is back; replaced ones are stopped', async () => {
    const agent = c.agents[0]!;
    await c.client.tasks.create({ metadata: { name: 'lone' }, ...sleeper(c, ['sleep', '300']) });
    await c.client.tasks.create({ metadata: { name: 'brief' }, ...sleeper(c, ['sh', '-c', 'sleep 4; exit 7']) });
    await c.client.services.create({ metadata: { name: 'kept' }, spec: { replicas: 1, template: { command: ['sleep', '300'], env: c.env() } } });
    const svcTask = await until(async () => (await c.client.tasks.list({ fieldSelector: 'metadata.owner=kept' })).items.find((x) => x.status?.phase === 'Running'), 'the service task to run');
    const lone = await until(async () => {
      const x = await c.client.tasks.get('lone');
      return x.status?.phase === 'Running' && (await phase('brief')) === 'Running' && x;
    }, 'the one-off tasks to run');

    agent.child.kill('SIGSTOP'); // silent, as behind a partition
    await until(async () => (await phase('lone')) === 'Unknown', 'the one-off task to be Unknown', 20_000);
    const unknown = await c.client.tasks.get('lone');
    assert.equal(unknown.status?.reason, 'MachineUnreachable');
    assert.equal(await phase('brief'), 'Unknown');
    // Lost, and then gone: the service replaces it (its Lost task is not kept as history).
    await until(async () => {
      const x = await c.client.tasks.find(svcTask.metadata.name);
      return !x || x.status?.phase === 'Lost';
    }, 'the service task to be Lost');
    agent.child.kill('SIGCONT');

    const back = await until(async () => {
      const x = await c.client.tasks.get('lone');
      return x.status?.phase === 'Running' && x;
    }, 'the one-off task to be Running again', 20_000);
    assert.equal(back.status?.pid, lone.status?.pid, 'the same process: it was never stopped');
    const brief: Task = await until(async () => {
      const x = await c.client.tasks.get('brief');
      return x.status?.phase === 'Failed' && x;
    }, 'the task that ended meanwhile to report its real end', 20_000);
    assert.equal(brief.status?.exitCode, 7);
    // The service's Lost task was replaced: its process is stopped on return.
    await until(async () => !processesWith(c.marker).includes(svcTask.status!.pid!), 'the replaced task to be stopped', 20_000);
    await until(async () => (await c.client.tasks.list({ fieldSelector: 'metadata.owner=kept' })).items.some((x) => x.status?.phase === 'Running' && x.metadata.uid !== svcTask.metadata.uid), 'its replacement to run');
  });
});
