// End to end: the agent runs a task as the user and group its template names (User=/Group= for
// units), not as root; a name unknown on the machine fails the task, saying so.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Task } from '../../src/client/client.js';
import { until } from '../helpers.js';
import { processesWith, startCluster, type Cluster } from './cluster.js';

describe('tasks run as their user', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster(1, { secure: true });
  });
  after(async () => {
    await c.close();
    assert.deepEqual(processesWith(c.marker), [], 'no task process may outlive the suite');
  });

  const finished = (name: string) =>
    until(async () => {
      const t = await c.client.tasks.get(name);
      return ['Succeeded', 'Failed'].includes(t.status?.phase ?? '') && t;
    }, `task ${name} to finish`);
  const logOf = async (name: string) => (await fetch(`${c.server.url}/api/v1/tasks/${name}/log`, { headers: c.auth })).text();

  it('user: nobody runs with uid 65534, and its primary group', async () => {
    await c.client.tasks.create({ metadata: { name: 'as-nobody' }, spec: { template: { command: ['sh', '-c', 'id -u; id -g; echo $USER'], user: 'nobody', env: c.env() } } });
    const t: Task = await finished('as-nobody');
    assert.equal(t.status?.phase, 'Succeeded', t.status?.message);
    assert.equal(await logOf('as-nobody'), '65534\n65534\nnobody\n');
  });

  it('a numeric user and a group are honoured', async () => {
    await c.client.tasks.create({ metadata: { name: 'as-1234' }, spec: { template: { command: ['sh', '-c', 'id -u; id -g'], user: '1234', group: 'nogroup', env: c.env() } } });
    await finished('as-1234');
    assert.equal(await logOf('as-1234'), '1234\n65534\n');
  });

  it('a unit\'s User= is the task\'s user', async () => {
    const unit = [
      { section: 'Service', name: 'ExecStart', value: "/bin/sh -c 'id -u'" },
      { section: 'Service', name: 'User', value: 'nobody' },
    ];
    const t = await c.client.tasks.create({ metadata: { name: 'unit-as-nobody' }, spec: { template: { unit, env: c.env() } } });
    assert.equal(t.spec.template.user, 'nobody', 'User= is the template\'s user');
    await finished('unit-as-nobody');
    assert.equal(await logOf('unit-as-nobody'), '65534\n');
  });

  it('without a user, an administrator\'s task runs as root, as before', async () => {
    await c.client.tasks.create({ metadata: { name: 'as-root' }, spec: { template: { command: ['id', '-u'], env: c.env() } } });
    await finished('as-root');
    assert.equal(await logOf('as-root'), '0\n');
  });

  it('a user unknown on the machine fails the task, saying so', async () => {
    await c.client.tasks.create({ metadata: { name: 'as-ghost' }, spec: { template: { command: ['id', '-u'], user: 'no-such-user-here', env: c.env() } } });
    const t = await finished('as-ghost');
    assert.equal(t.status?.phase, 'Failed');
    assert.match(t.status?.message ?? '', /user "no-such-user-here" does not exist on this machine/);
  });
});
