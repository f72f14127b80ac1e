// Issue 19's pieces together, with real processes: a readiness check decides who is found — DNS
// (asked with dig), the layer 4 ingress port on every agent and the layer 7 proxy all skip a task
// whose check fails, and take it back when it passes again.
import assert from 'node:assert/strict';
import { execFile, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Ingress } from '../../src/model/index.js';
import { startDrover } from '../cli/drover.js';
import { tempDir, until } from '../helpers.js';
import { freePort, get } from '../ingress/backends.js';
import { startCluster, type Cluster } from './cluster.js';

const run = promisify(execFile);
const hasDig = spawnSync('dig', ['-v']).status === 0;
const skip = hasDig ? false : 'dig is not installed (apt-get install dnsutils)';
if (skip) console.log(`# skipping the networking end-to-end test: ${skip}`);

/** python3's http.server serving its task's name at /name, and /healthz while the test's marker file for it exists. */
const server = [
  'sh',
  '-c',
  'mkdir -p "$DROVER_TASK_DIR/www" && echo "$DROVER_TASK" > "$DROVER_TASK_DIR/www/name" && ln -sf "$MARKERS/$DROVER_TASK.ok" "$DROVER_TASK_DIR/www/healthz" && exec python3 -m http.server "$PORT_HTTP" --directory "$DROVER_TASK_DIR/www"',
];

describe('readiness decides what DNS, the ingress port and the proxy send traffic to', { skip }, () => {
  let c: Cluster;
  let proxy: ChildProcess | undefined;
  const markers = tempDir('drover-ready-');
  before(async () => {
    c = await startCluster(0, { secure: true, serverOptions: { dnsListen: '127.0.0.1:0', dnsTtlSeconds: 1 } });
    for (const i of [0, 1]) await c.startAgent(i, { args: ['--ingress-address', `127.0.0.${i + 1}`] });
  });
  after(async () => {
    proxy?.kill('SIGKILL');
    await c.close();
  });

  it('a task whose readiness check fails drops out of dig, the layer 4 port and the layer 7 proxy, and comes back', async () => {
    const { host: dnsHost, port: dnsPort } = c.server.dns!;
    const srv = async () => (await run('dig', [`@${dnsHost}`, '-p', String(dnsPort), '+time=2', '+tries=1', '+short', 'SRV', '_http._tcp.web.default.svc.drover'])).stdout.trim().split('\n').filter(Boolean);
    const l4 = await freePort();
    await c.client.services.create({
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        template: {
          command: server,
          env: c.env({ MARKERS: markers }),
          ports: [{ name: 'http' }],
          checks: [{ name: 'healthz', type: 'http', port: 'http', path: '/healthz', intervalSeconds: 0.2, timeoutSeconds: 1, failureThreshold: 1 }],
        },
        ingress: [{ port: l4 }],
      },
    });
    const token = (await c.client.request<{ token: string }>('POST', '/api/v1/tokens', { body: { user: 'edge' } })).body.token;
    await c.client.resource('clusterrolebindings').create({ metadata: { name: 'edge' }, spec: { roleRef: { kind: 'ClusterRole', name: 'ingress-proxy' }, subjects: [{ kind: 'User', name: 'edge' }] } } as never);
    proxy = startDrover(['proxy', '--server', c.server.url, '--listen', '127.0.0.1:0'], { env: { DROVER_TOKEN: token } });
    let out = '';
    proxy.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proxy.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const l7 = Number(new URL((await until(() => /serving the Ingresses of \S+ at (http:\/\/\S+)\n/.exec(out), () => `the proxy to start: ${out}`))[1]!).port);
    await c.client.ingresses.create({ metadata: { name: 'site' }, spec: { rules: [{ host: 'shop.test', service: 'web' }] } } as Partial<Ingress>);

    // Running but not ready: /healthz is a dangling link until the test says otherwise.
    const tasks = await until(async () => {
      const ts = (await c.client.tasks.list({ fieldSelector: 'metadata.owner=web' })).items.filter((t) => t.status?.phase === 'Running');
      return ts.length === 2 && ts.map((t) => t.metadata.name).sort();
    }, 'two running web tasks', 30_000);
    assert.deepEqual(await srv(), [], 'no SRV record while no task is ready');
    for (const t of tasks) writeFileSync(join(markers, `${t}.ok`), 'ok\n');

    const answers = async (via: 'l4a' | 'l4b' | 'l7', n = 8) => {
      const names = new Set<string>();
      for (let i = 0; i < n; i++) {
        const r = via === 'l7' ? await get(l7, '/name', { host: 'shop.test' }) : await get(l4, '/name', {}, 'GET', undefined, via === 'l4a' ? '127.0.0.1' : '127.0.0.2');
        assert.equal(r.status, 200, `${via}: ${r.status} ${r.body}`);
        names.add(r.body.trim());
      }
      return [...names].sort();
    };
    const everyWay = async (want: string[], what: string) => {
      await until(async () => (await srv()).length === want.length, `${what}: ${want.length} SRV record(s)`, 15_000);
      const ports = (await srv()).map((line) => Number(line.split(' ')[2])).sort();
      const wantPorts = (await Promise.all(want.map(async (t) => (await c.client.tasks.get(t)).spec.ports![0]!.port))).sort();
      assert.deepEqual(ports, wantPorts, `${what}: SRV ports`);
      for (const via of ['l4a', 'l4b', 'l7'] as const) await until(async () => JSON.stringify(await answers(via)) === JSON.stringify(want), `${what}: only ${want.join(', ')} answer through ${via}`, 15_000);
    };

    await everyWay(tasks, 'both ready');
    const [sick, well] = tasks as [string, string];
    rmSync(join(markers, `${sick}.ok`));
    await everyWay([well], `${sick} failing its check`);
    assert.equal((await c.client.tasks.get(sick)).status?.phase, 'Running', 'a readiness failure does not stop the task');
    writeFileSync(join(markers, `${sick}.ok`), 'ok\n');
    await everyWay(tasks, `${sick} passing again`);
  });
});
