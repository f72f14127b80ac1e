// Ports, endpoints and DNS with real agents and real processes: two HTTP servers on dynamic
// ports behind a service, found through its Endpoints and through DNS asked with dig (Debian's
// dnsutils), and the answers following a task that goes away.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Endpoints, Task } from '../../src/model/index.js';
import { until } from '../helpers.js';
import { startCluster, type Cluster } from './cluster.js';

const run = promisify(execFile);
const hasDig = spawnSync('dig', ['-v']).status === 0;
const skip = hasDig ? false : 'dig is not installed (apt-get install dnsutils)';
if (skip) console.log(`# skipping the DNS end-to-end tests: ${skip}`);

const LIVE = (t: Task) => !['Lost', 'Failed', 'Succeeded'].includes(t.status?.phase ?? '') && !t.metadata.deletionTimestamp;

describe('ports, endpoints and DNS with real agents', { skip }, () => {
  let cluster: Cluster;
  let dig: (...args: string[]) => Promise<string>;

  before(async () => {
    cluster = await startCluster(2, { serverOptions: { dnsListen: '127.0.0.1:0', dnsTtlSeconds: 1 } });
    const { host, port } = cluster.server.dns!;
    dig = async (...args) => (await run('dig', [`@${host}`, '-p', String(port), '+time=2', '+tries=1', ...args])).stdout;
    const c = cluster.client;
    // PORT must be the first port: the process refuses to start otherwise.
    const command = ['sh', '-c', 'test "$PORT" = "$PORT_HTTP" || exit 3; exec python3 -m http.server "$PORT_HTTP" --bind 127.0.0.1'];
    await c.services.create({ metadata: { name: 'web' }, spec: { replicas: 2, template: { command, env: cluster.env(), ports: [{ name: 'http' }] } } });
    // Never ready: a readiness check whose command fails (and, until an agent runs it, no Ready condition).
    await c.services.create({
      metadata: { name: 'idle' },
      spec: { replicas: 1, template: { command: ['sleep', '300'], env: cluster.env(), ports: [{ name: 'http' }], checks: [{ type: 'exec', command: ['false'], intervalSeconds: 1 }] } },
    });
  });
  after(() => cluster?.close());

  const webTasks = async () => (await cluster.client.tasks.list({ fieldSelector: 'metadata.owner=web' })).items.filter(LIVE);

  it('gives each task its own dynamic port, in its environment and its status, and each answers HTTP there', async () => {
    const tasks = await until(async () => {
      const ts = await webTasks();
      return ts.length === 2 && ts.every((t) => t.status?.phase === 'Running' && t.status.ports?.length) && ts;
    }, 'two running web tasks reporting their ports', 20_000);
    const ports = tasks.map((t) => t.spec.ports![0].port);
    assert.notEqual(ports[0], ports[1]);
    for (const t of tasks) {
      const [p] = t.spec.ports!;
      assert.equal(p.name, 'http');
      assert.ok(p.port >= 20000 && p.port <= 29999, String(p.port));
      const machine = await cluster.client.machines.get(t.spec.machine!);
      assert.deepEqual(t.status!.ports, [{ name: 'http', port: p.port, protocol: 'tcp', address: `${machine.status!.address}:${p.port}` }]);
      const body = await until(async () => (await fetch(`http://127.0.0.1:${p.port}/`)).ok, `task ${t.metadata.name} to answer HTTP on ${p.port}`, 15_000);
      assert.ok(body);
    }
  });

  it('lists both in the Endpoints, ready, and the DNS answers with both', async () => {
    const tasks = await webTasks();
    const ep = await until(async () => {
      const e: Endpoints = await cluster.client.endpoints.get('web');
      return e.status?.addresses?.filter((a) => a.ready).length === 2 && e;
    }, 'both web tasks ready in the Endpoints', 10_000);
    assert.deepEqual(ep.status!.addresses!.map((a) => a.task), tasks.map((t) => t.metadata.name).sort());
    assert.deepEqual(ep.status!.ports, [{ name: 'http', protocol: 'tcp' }]);

    const hosts = [...new Set(ep.status!.addresses!.map((a) => a.host))].sort();
    const a = (await dig('+short', 'web.default.svc.drover')).trim().split('\n').sort();
    assert.deepEqual(a, hosts);
    const srv = await dig('+short', 'SRV', '_http._tcp.web.default.svc.drover');
    const srvPorts = srv.trim().split('\n').map((line) => Number(line.split(' ')[2])).sort();
    assert.deepEqual(srvPorts, tasks.map((t) => t.spec.ports![0].port).sort());
    // The SRV target resolves to its task's machine.
    const target = srv.trim().split('\n')[0].split(' ')[3];
    assert.deepEqual((await dig('+short', target)).trim().split('\n'), [hosts[0]]);
  });

  it('says NXDOMAIN for an unknown name, and NOERROR with no answer for a service with no ready task', async () => {
    assert.match(await dig('nope.default.svc.drover'), /status: NXDOMAIN/);
    await until(() => cluster.client.endpoints.get('idle').then((e) => e.status?.addresses?.length === 1).catch(() => false), 'the idle service\'s Endpoints', 15_000);
    const idle = await dig('idle.default.svc.drover');
    assert.match(idle, /status: NOERROR/);
    assert.match(idle, /ANSWER: 0,/);
    // Over TCP too (dig +tcp), the same.
    assert.match(await dig('+tcp', 'nope.default.svc.drover'), /status: NXDOMAIN/);
  });

  it('drops a task that goes away from the SRV answer', async () => {
    await cluster.client.services.patch('web', { spec: { replicas: 1 } });
    const left = await until(async () => {
      const lines = (await dig('+short', 'SRV', '_http._tcp.web.default.svc.drover')).trim().split('\n').filter(Boolean);
      return lines.length === 1 && lines;
    }, 'the SRV answer to drop to one', 15_000);
    const [remaining] = await until(async () => {
      const ts = await webTasks();
      return ts.length === 1 && ts;
    }, 'one web task', 15_000);
    assert.equal(Number(left[0].split(' ')[2]), remaining.spec.ports![0].port);
  });
});
