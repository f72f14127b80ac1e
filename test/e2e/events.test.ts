// Events as an operator reads them: a crash-looping task's restarts are one event counted, not
// one each; placement says where (or why not); a machine that stops heartbeating says so, and so
// do the tasks it loses.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Event } from '../../src/client/client.js';
import { until } from '../helpers.js';
import { startCluster, type Cluster } from './cluster.js';

describe('events of a real cluster', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster(1, { machineGraceSeconds: 2 });
  });
  after(() => c.close());

  const eventsAbout = async (kind: string, name: string) =>
    (await c.client.events.list({ fieldSelector: `spec.involvedObject.kind=${kind},spec.involvedObject.name=${name}` })).items as Event[];

  it('a crash-looping task has one Restarted event, counted, with its exit code', async () => {
    const t = await c.client.tasks.create({ spec: { template: { command: ['sh', '-c', 'exit 3'], restartPolicy: 'always', env: c.env() } } });
    const restarted = await until(async () => {
      const e = (await eventsAbout('Task', t.metadata.name)).filter((x) => x.spec.reason === 'Restarted');
      return e.length === 1 && e[0]!.spec.count >= 4 && e;
    }, 'the task to restart four times');
    assert.match(restarted[0]!.spec.message, /exited with code 3/);
    assert.equal(restarted[0]!.spec.type, 'Warning');
    assert.equal(restarted[0]!.spec.source.machine, c.agents[0]!.id);
    const all = await eventsAbout('Task', t.metadata.name);
    // Every restart also started it again: one Started event, counted; never one per start.
    const started = all.filter((x) => x.spec.reason === 'Started');
    assert.equal(started.length, 1);
    assert.ok(started[0]!.spec.count >= 4, `started ${started[0]!.spec.count} times`);
    const scheduled = all.filter((x) => x.spec.reason === 'Scheduled');
    assert.equal(scheduled.length, 1);
    assert.equal(scheduled[0]!.spec.message, `placed on machine ${c.agents[0]!.id}`);
    await c.client.tasks.delete(t.metadata.name);
  });

  it('a task that fits nowhere says why in a FailedScheduling event', async () => {
    const t = await c.client.tasks.create({ spec: { template: { command: ['sleep', '1'], resources: { memory: '900Ti' }, env: c.env() } } });
    const failed = await until(async () => (await eventsAbout('Task', t.metadata.name)).find((x) => x.spec.reason === 'FailedScheduling'), 'a FailedScheduling event');
    assert.match(failed.spec.message, /memory/);
    assert.equal(failed.spec.source.component, 'workloads');
    await c.client.tasks.delete(t.metadata.name);
  });

  it('a machine that stops heartbeating has a NodeNotReady event, and its service task a TaskLost one', async () => {
    await c.client.services.create({ metadata: { name: 'lost' }, spec: { replicas: 1, template: { command: ['sleep', '300'], env: c.env() } } });
    const task = await until(async () => (await c.client.tasks.list({ fieldSelector: 'metadata.owner=lost' })).items.find((t) => t.status?.phase === 'Running'), 'the task to run');
    const agent = c.agents[0]!;
    const machine = agent.id;
    await agent.kill9();
    const notReady = await until(async () => (await eventsAbout('Machine', machine)).find((x) => x.spec.reason === 'NodeNotReady'), 'a NodeNotReady event', 15_000);
    assert.match(notReady.spec.message, /no heartbeat/);
    const lost = await until(async () => (await eventsAbout('Task', task.metadata.name)).find((x) => x.spec.reason === 'TaskLost'), 'a TaskLost event');
    assert.match(lost.spec.message, new RegExp(`machine ${machine} stopped sending heartbeats`));
    // Back: it stops the replaced task, and says it is Ready again.
    await c.startAgent(0, { id: agent.id, dataDir: agent.dataDir });
    await until(async () => (await eventsAbout('Machine', machine)).find((x) => x.spec.reason === 'NodeReady'), 'a NodeReady event');
  });
});
