// A service whose tasks fail as soon as they start must not storm the cluster: its failed tasks
// are replaced with a backoff, the service says why, and the store sees a handful of writes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, until } from '../helpers.js';
import { startCluster, type Cluster } from './cluster.js';

describe('crash loops back off', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster(1, { secure: true });
  });
  after(() => c.close());

  const revision = async () => (await http(`${c.server.url}/api/v1/system/time`, { headers: c.auth })).json().revision as number;

  it('a service whose task exits 1 at once is replaced with a backoff, says CrashLoopBackOff, and writes little', async () => {
    await c.client.services.create({
      metadata: { name: 'crasher' },
      spec: { replicas: 1, template: { command: ['sh', '-c', 'echo starting; exit 1'], restartPolicy: 'never', env: c.env() } },
    });
    const svc = await until(async () => {
      const s = await c.client.services.get('crasher');
      return s.status?.conditions?.some((x) => x.type === 'CrashLoopBackOff' && x.status === 'True') && s;
    }, 'the service to say it is crash-looping');
    const cond = svc.status!.conditions!.find((x) => x.type === 'CrashLoopBackOff')!;
    assert.match(cond.message!, /^task crasher-\w+ exited with code 1/);
    assert.equal(svc.status!.readyReplicas, 0);

    // The loop is under way: over a few seconds it may replace the task a few times, no more.
    const from = await revision();
    const windowMs = 5_000;
    await new Promise((r) => setTimeout(r, windowMs)); // an observation window, not a wait for a condition
    const writes = (await revision()) - from;
    assert.ok(writes < 80, `${writes} store revisions in ${windowMs / 1000} s of crash loop (without backoff it was thousands)`);
    const tasks = (await c.client.tasks.list({ fieldSelector: 'metadata.owner=crasher' })).items;
    assert.ok(tasks.length <= 6, `finished tasks are bounded history: ${tasks.length}`);
    assert.equal((await c.client.services.get('crasher')).status?.state, 'crash-looping');
  });

  it('a fixed template starts at once and ends the loop', async () => {
    await c.client.services.patch('crasher', { spec: { template: { command: ['sleep', '300'], restartPolicy: 'never', env: c.env() } } });
    await until(async () => (await c.client.tasks.list({ fieldSelector: 'metadata.owner=crasher' })).items.some((t) => t.status?.phase === 'Running'), 'the fixed task to run', 15_000);
    await until(async () => !(await c.client.services.get('crasher')).status?.conditions?.some((x) => x.type === 'CrashLoopBackOff'), 'the condition to clear', 15_000);
  });
});
