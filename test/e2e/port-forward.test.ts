// drover port-forward end to end: a real server (authenticating), a real agent process, a task
// running python's http.server, the CLI as an operator runs it, and who may and may not.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Client } from '../../src/client/client.js';
import { ApiError } from '../../src/errors.js';
import { openPortForward } from '../../src/client/port-forward.js';
import { until } from '../helpers.js';
import { cli, startDrover } from '../cli/drover.js';
import { freePort } from '../ingress/backends.js';
import { startCluster, type Cluster } from './cluster.js';

describe('drover port-forward', () => {
  let c: Cluster;
  let port: number;
  let ann: string, vic: string;
  const children: ChildProcess[] = [];
  before(async () => {
    c = await startCluster(1, { secure: true });
    const token = async (user: string) => (await c.client.request<{ token: string }>('POST', '/api/v1/tokens', { body: { user } })).body.token;
    [ann, vic] = [await token('ann'), await token('vic')];
    await c.client.resource('clusterrolebindings').create({ metadata: { name: 'ann-edit' }, spec: { roleRef: { kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'User', name: 'ann' }] } } as never);
    await c.client.resource('clusterrolebindings').create({ metadata: { name: 'vic-view' }, spec: { roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'vic' }] } } as never);
    port = await freePort();
    await c.client.tasks.create({ metadata: { name: 'web' }, spec: { template: { command: ['python3', '-m', 'http.server', String(port), '--bind', '127.0.0.1'], env: c.env() } } });
    await until(async () => (await fetch(`http://127.0.0.1:${port}/`)).ok, 'the task\'s http server to answer', 20_000);
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await c.close();
  });

  it('forwards each local connection to the task\'s port, as the user who may', async () => {
    const child = startDrover(['port-forward', 'task/web', `:${port}`, '--server', c.server.url], { env: { DROVER_TOKEN: ann } });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const line = await until(() => /Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)\n/.exec(out), () => `the Forwarding line (stdout ${out}, stderr ${err})`);
    assert.equal(line[2], String(port));
    const local = Number(line[1]);
    assert.notEqual(local, port);
    // Several connections at once, each its own tunnel.
    const answers = await Promise.all([1, 2, 3].map(() => fetch(`http://127.0.0.1:${local}/`, { headers: { connection: 'close' } }).then(async (r) => [r.status, await r.text()] as const)));
    for (const [status, body] of answers) {
      assert.equal(status, 200);
      assert.match(body, /Directory listing/);
    }
    assert.equal(err, '');
  });

  it('refuses a user without tasks/portforward (403), and says when nothing listens', async () => {
    const as = (token: string) => new Client({ server: c.server.url, credentials: { token } });
    await assert.rejects(openPortForward(as(vic), 'web', port), (e: unknown) => e instanceof ApiError && e.code === 403);
    const closed = await freePort();
    await assert.rejects(openPortForward(as(ann), 'web', closed), (e: unknown) => e instanceof ApiError && e.code === 409 && e.message.includes(`nothing listens on port ${closed}`));
    // A tunnel that works carries bytes both ways.
    const tunnel = await openPortForward(as(ann), 'web', port);
    let got = '';
    tunnel.on('data', (d: Buffer) => (got += d.toString()));
    tunnel.write('GET / HTTP/1.0\r\n\r\n');
    await until(() => got.startsWith('HTTP/1.0 200'), 'the answer through the tunnel');
    tunnel.destroy();
  });

  it('the CLI fails at once for a task that is not running', async () => {
    await c.client.tasks.create({ metadata: { name: 'done' }, spec: { template: { command: ['true'], env: c.env(), restartPolicy: 'never' } } });
    await until(async () => (await c.client.tasks.get('done')).status?.phase === 'Succeeded', 'the task to finish');
    const r = await cli(c.server.url, ann).run(['port-forward', 'done', '8000']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: task "done" is not running \(phase Succeeded\)/);
  });
});
