// The built-in catalog on a real agent: redis and etcd installed as packages answer their
// clients, and a package whose program the machine lacks fails once with MissingBinary.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Installation, Package, Service, Task } from '../../src/model/index.js';
import { until } from '../helpers.js';
import { startCluster, type Cluster } from './cluster.js';

const run = promisify(execFile);

/** A TCP port free right now (the OS picks it). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const port = (srv.address() as { port: number }).port;
  await new Promise((ok) => srv.close(ok));
  return port;
}

describe('packages on a real agent', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster(1);
  });
  after(() => c.close());

  const installations = () => c.client.resource<Installation>('installations', 'default');
  const install = (name: string, pkg: string, values: Record<string, string> = {}) =>
    installations().create({ apiVersion: 'drover/v1', kind: 'Installation', metadata: { name }, spec: { package: pkg, values } });
  const taskOf = (service: string, phase: string) =>
    until(async () => (await c.client.tasks.list({ fieldSelector: `metadata.owner=${service}` })).items.find((t) => t.status?.phase === phase), `a ${phase} task of ${service}`, 30_000);

  it('redis@7.0 on a free port answers redis-cli ping with PONG; uninstall stops it', async () => {
    const port = await freePort();
    await install('cache', 'redis', { port: String(port) });
    await taskOf('cache', 'Running');
    const pong = await until(async () => (await run('redis-cli', ['-p', String(port), 'ping'])).stdout.trim() === 'PONG', `redis-cli -p ${port} ping to answer PONG`, 20_000);
    assert.ok(pong);
    await installations().delete('cache');
    await until(async () => (await c.client.services.find('cache')) === undefined && (await c.client.tasks.list({ fieldSelector: 'metadata.owner=cache' })).items.length === 0, 'the service and its tasks to go');
    await assert.rejects(run('redis-cli', ['-p', String(port), 'ping']), 'redis no longer answers');
  });

  it('etcd@3.4 answers GET /health', async () => {
    const [port, peer] = [await freePort(), await freePort()];
    await install('kv', 'etcd', { name: 'kv0', port: String(port), peer_port: String(peer) });
    await taskOf('kv', 'Running');
    const health = await until(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/health`);
        return res.ok && ((await res.json()) as { health?: string }).health === 'true';
      },
      `etcd on ${port} to be healthy`,
      30_000,
    );
    assert.ok(health);
    await installations().delete('kv');
    await until(async () => (await c.client.tasks.list({ fieldSelector: 'metadata.owner=kv' })).items.length === 0, 'etcd to stop');
  });

  it('a package requiring a program the machine lacks: the task fails once with MissingBinary and is not replaced', async () => {
    await c.client.resource<Package>('packages').create({
      apiVersion: 'drover/v1',
      kind: 'Package',
      metadata: { name: 'ghost-1.0' },
      spec: { package: 'ghost', version: '1.0', requires: ['drover-no-such-program'], provides: 'apt-get install ghost', template: { command: ['drover-no-such-program'], restartPolicy: 'always' } },
    });
    await install('ghost', 'ghost');
    const failed: Task = await taskOf('ghost', 'Failed');
    assert.equal(failed.status?.reason, 'MissingBinary');
    assert.equal(failed.status?.message, `drover-no-such-program not found in PATH on machine ${failed.spec.machine}; apt-get install ghost`);
    const svc = await until(async () => {
      const s: Service = await c.client.services.get('ghost');
      return s.status?.state === 'failed' && s;
    }, 'the service to say failed');
    assert.match(svc.status?.conditions?.find((x) => x.reason === 'MissingBinary')?.message ?? '', /not replaced until it is deleted/);
    const tasks = (await c.client.tasks.list({ fieldSelector: 'metadata.owner=ghost' })).items;
    assert.equal(tasks.length, 1, 'no replacement was made');
    assert.equal(tasks[0]!.status?.restarts ?? 0, 0, 'the agent did not restart it');
    await installations().delete('ghost');
    await until(async () => (await c.client.tasks.list({ fieldSelector: 'metadata.owner=ghost' })).items.length === 0, 'the failed task to go with its installation');
  });
});
