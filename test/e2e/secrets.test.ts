// End to end: secrets reach the task that refers to them, as environment variables and as files
// (0600, removed with the task), and no other task; a task whose secret is missing waits and
// says why, then starts once the secret exists.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EnvVar } from '../../src/model/index.js';
import { until } from '../helpers.js';
import { processesWith, startCluster, type Cluster } from './cluster.js';

describe('secrets reach their tasks only', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster(1, { secure: true });
  });
  after(async () => {
    await c.close();
    assert.deepEqual(processesWith(c.marker), [], 'no task process may outlive the suite');
  });

  const logOf = async (name: string) => (await fetch(`${c.server.url}/api/v1/tasks/${name}/log`, { headers: c.auth })).text();
  const env = (extra: EnvVar[] = []): EnvVar[] => [{ name: 'DROVER_E2E', value: c.marker }, ...extra];
  const files = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }) : []);

  it('env from a secretKeyRef and secret files reach the task; another task sees neither; the files go with the task', async () => {
    const value = `pw-${randomBytes(8).toString('hex')}`;
    await c.client.resource('secrets').create({ metadata: { name: 'db' }, spec: { data: { pass: value, user: 'app' } } });
    const script = 'echo "PASS=$PASS"; echo "DIR=$DROVER_SECRETS_DIR"; echo "FILE=$(cat "$DROVER_SECRETS_DIR/db/pass")"; sleep 300';
    await c.client.tasks.create({
      metadata: { name: 'uses-secret' },
      spec: { template: { command: ['sh', '-c', script], env: env([{ name: 'PASS', secretKeyRef: { secret: 'db', key: 'pass' } }]), secrets: [{ secret: 'db' }] } },
    });
    await c.client.tasks.create({
      metadata: { name: 'bystander' },
      spec: { template: { command: ['sh', '-c', 'env; echo "SECRETS_DIR=[$DROVER_SECRETS_DIR]"; echo done; sleep 300'], env: env() } },
    });
    const log = await until(async () => {
      const text = await logOf('uses-secret');
      return /FILE=.+/.test(text) && text;
    }, () => `the task to print its secrets (agent: ${c.agents[0]!.output()})`, 20_000);
    assert.match(log, new RegExp(`PASS=${value}\\n`));
    assert.match(log, new RegExp(`FILE=${value}\\n`));
    const dir = /DIR=(.+)\n/.exec(log)![1]!;
    const file = join(dir, 'db', 'pass');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(file).uid, process.getuid!());
    assert.equal(readFileSync(join(dir, 'db', 'user'), 'utf8'), 'app');
    const taskDir = join(dir, '..');
    assert.equal(statSync(join(taskDir, 'env')).mode & 0o777, 0o600, "the shim's env file holds the value: 0600 too");
    assert.equal(statSync(join(taskDir, 'output.log')).mode & 0o777, 0o600, 'the log may hold what the task printed of it: 0600 too');

    // The values never enter the task object or its status.
    const task = await c.client.tasks.get('uses-secret');
    assert.ok(!JSON.stringify(task).includes(value));

    const other = await until(async () => {
      const text = await logOf('bystander');
      return text.includes('done') && text;
    }, 'the other task to print what it sees', 20_000);
    assert.ok(!other.includes(value), 'a task that does not refer to the secret got its value');
    assert.match(other, /SECRETS_DIR=\[\]/);
    const secrets = (await (await fetch(`${c.server.url}/api/v1/tasks/bystander/secrets`, { headers: c.auth })).json()) as { env: object; files: unknown[] };
    assert.deepEqual(secrets, { kind: 'TaskSecrets', env: {}, files: [] });

    await c.client.tasks.delete('uses-secret');
    await until(async () => !(await c.client.tasks.find('uses-secret')), 'the task to be deleted', 20_000);
    await until(() => !existsSync(file) && !existsSync(taskDir), () => `the secret files to go with the task (left: ${files(taskDir).join(', ')})`, 20_000);
    assert.ok(!JSON.stringify(await c.client.tasks.list()).includes(value));
    assert.ok(!c.agents[0]!.output().includes(value), "the agent's own log holds the value");
  });

  it("a task running as another user reads its secret files, which belong to that user alone", async () => {
    const value = `pw-${randomBytes(8).toString('hex')}`;
    await c.client.resource('secrets').create({ metadata: { name: 'nobodys' }, spec: { data: { pass: value } } });
    await c.client.tasks.create({
      metadata: { name: 'as-nobody' },
      spec: { template: { user: 'nobody', command: ['sh', '-c', 'echo "ID=$(id -u) DIR=$DROVER_SECRETS_DIR FILE=$(cat "$DROVER_SECRETS_DIR/nobodys/pass")"; sleep 300'], env: env(), secrets: [{ secret: 'nobodys' }] } },
    });
    let seen = '';
    const log = await until(async () => {
      const text = await logOf('as-nobody');
      seen = `log ${JSON.stringify(text)}, status ${JSON.stringify((await c.client.tasks.get('as-nobody')).status)}`;
      return /FILE=\S+/.test(text) && text;
    }, () => `the task to print its secret (${seen})`);
    assert.match(log, new RegExp(`ID=65534 DIR=\\S+ FILE=${value}\\n`));
    const dir = /DIR=(\S+)/.exec(log)![1]!;
    const file = join(dir, 'nobodys', 'pass');
    assert.deepEqual([statSync(file).uid, statSync(file).mode & 0o777], [65534, 0o600]);
    assert.deepEqual([statSync(dir).uid, statSync(dir).mode & 0o777], [65534, 0o700]);
    await c.client.tasks.delete('as-nobody');
    await until(async () => !(await c.client.tasks.find('as-nobody')), 'the task to be deleted');
  });

  it('a task whose secret is missing does not start and says why; it starts once the secret exists', async () => {
    await c.client.tasks.create({
      metadata: { name: 'waits' },
      spec: { template: { command: ['sh', '-c', 'echo "TOKEN=$TOKEN"; sleep 300'], env: env([{ name: 'TOKEN', secretKeyRef: { secret: 'later', key: 'token' } }]) } },
    });
    const waiting = await until(async () => {
      const t = await c.client.tasks.get('waits');
      return t.status?.reason === 'SecretUnavailable' && t;
    }, 'the task to say it waits for its secret');
    assert.match(waiting.status!.message!, /secret "later" not found/);
    assert.notEqual(waiting.status!.phase, 'Running');
    assert.ok(!waiting.status!.pid);
    await c.client.resource('secrets').create({ metadata: { name: 'later' }, spec: { data: { token: 'tok-123' } } });
    await until(async () => /TOKEN=tok-123/.test(await logOf('waits')), 'the task to start with its secret', 45_000);
    const t = await c.client.tasks.get('waits');
    assert.equal(t.status?.phase, 'Running');
    assert.equal(t.status?.reason, '');
  });
});
