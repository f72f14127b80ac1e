// End to end: agents find and run the tasks of every namespace, report their status into the
// task's own namespace, and the server proxies their logs under the namespaced URL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Task } from '../../src/client/client.js';
import { until } from '../helpers.js';
import { cli } from '../cli/drover.js';
import { processesWith, startCluster, type Cluster } from './cluster.js';

describe('agents and namespaces', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster(1, { secure: true });
    await c.client.resource('namespaces').create({ metadata: { name: 'team' } });
  });
  after(async () => {
    await c.close();
    assert.deepEqual(processesWith(c.marker), [], 'no task process may outlive the suite');
  });

  it('a one-off task in namespace "team" runs, its status lands there, and its log is served under the namespace', async () => {
    const team = c.client.resource<Task>('tasks', 'team');
    // A task of the same name in "default" must not be confused with it.
    await c.client.tasks.create({ metadata: { name: 'hello' }, spec: { template: { command: ['sh', '-c', 'echo from-default'], env: c.env() } } });
    await team.create({ metadata: { name: 'hello' }, spec: { template: { command: ['sh', '-c', 'echo from-team'], env: c.env() } } });
    const done = await until(async () => {
      const t = await team.get('hello');
      return t.status?.phase === 'Succeeded' && t;
    }, 'the task of "team" to succeed');
    assert.equal(done.metadata.namespace, 'team');
    await until(async () => (await c.client.tasks.get('hello')).status?.phase === 'Succeeded', 'the task of "default" to succeed');
    const log = await (await fetch(`${c.server.url}/api/v1/namespaces/team/tasks/hello/log`, { headers: c.auth })).text();
    assert.equal(log, 'from-team\n');
    const defaultLog = await (await fetch(`${c.server.url}/api/v1/tasks/hello/log`, { headers: c.auth })).text();
    assert.equal(defaultLog, 'from-default\n');
    // The CLI: -n picks the namespace for logs and describe; without it, "default".
    const d = cli(c.server.url, c.server.adminToken);
    assert.equal(await d.ok(['logs', 'task/hello', '-n', 'team']), 'from-team\n');
    assert.equal(await d.ok(['logs', 'task/hello']), 'from-default\n');
    assert.match(await d.ok(['describe', 'task/hello', '-n', 'team']), /Namespace:\s+team[\s\S]*from-team/);
  });

  it('a service in "team" gets its replicas running', async () => {
    const services = c.client.resource('services', 'team');
    await services.create({ metadata: { name: 'sleepy' }, spec: { replicas: 2, template: { command: ['sleep', '300'], env: c.env() } } });
    await until(async () => (await services.get('sleepy')).status?.readyReplicas === 2, 'two ready replicas in "team"');
    const tasks = (await c.client.resource<Task>('tasks', 'team').list({ fieldSelector: 'metadata.owner=sleepy' })).items;
    assert.equal(tasks.filter((t) => t.status?.phase === 'Running').length, 2);
    await services.delete('sleepy');
    await until(async () => (await c.client.resource<Task>('tasks', 'team').list({ fieldSelector: 'metadata.owner=sleepy' })).items.length === 0, 'the tasks of "sleepy" gone');
  });
});
