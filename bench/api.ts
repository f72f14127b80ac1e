// api-read: GET one object through drover vs. a bare node:http server answering the same bytes in
// the same process. api-write: creates through drover vs. puts of the same size into Debian's
// etcd 3.4 on loopback. Same load, concurrency 64; the load generator runs in this process, the
// servers in a child, so the generator never competes with a server inside one event loop.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import autocannon from 'autocannon';
import { Etcd3 } from 'etcd3';
import type { Row } from './report.js';
import { startServerChild, tempDir, until } from './lib/util.js';

const CONCURRENCY = 64;

function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

const taskBody = (i: number | string) => ({
  metadata: { name: `bench-${i}`, labels: { app: 'bench', tier: 'web' } },
  spec: { template: { command: ['/bin/sleep', '3600'], env: { MODE: 'bench' }, resources: { cpu: '100m', memory: '64Mi' } } },
});

export async function apiRead({ quick }: { quick: boolean }): Promise<Row[]> {
  const server = await startServerChild({ controllers: false });
  try {
    const res = await fetch(`${server.url}/api/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(taskBody('read')) });
    if (!res.ok) throw new Error(`create failed: ${res.status} ${await res.text()}`);
    const path = '/api/v1/tasks/bench-read';
    const bareUrl = await server.bare(path);
    const duration = quick ? 3 : 10;
    // Warm both (JIT, connections), then measure in alternation.
    await cannon({ url: server.url + path, connections: CONCURRENCY, duration: 1 });
    await cannon({ url: bareUrl, connections: CONCURRENCY, duration: 1 });
    const drover = await cannon({ url: server.url + path, connections: CONCURRENCY, duration });
    const bare = await cannon({ url: bareUrl, connections: CONCURRENCY, duration });
    if (drover.non2xx || drover.errors) throw new Error(`api-read: ${drover.non2xx} non-2xx answers, ${drover.errors} errors`);
    const ratio = drover.requests.average / bare.requests.average;
    return [
      { benchmark: 'api-read', metric: 'GET one object, c=64', value: drover.requests.average, unit: 'req/s', baseline: { name: 'bare node:http', value: bare.requests.average }, ratio, target: 'ratio ≥ 0.8', met: ratio >= 0.8 },
      { benchmark: 'api-read', metric: 'GET latency p99', value: drover.latency.p99, unit: 'ms', baseline: { name: 'bare node:http', value: bare.latency.p99 } },
    ];
  } finally {
    await server.close();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function etcdPutRate(valueBytes: number, durationS: number): Promise<number | undefined> {
  if (!existsSync('/usr/bin/etcd')) return undefined;
  const dir = tempDir('etcd');
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const proc = spawn('/usr/bin/etcd', ['--data-dir', dir.path, '--listen-client-urls', url, '--advertise-client-urls', url, '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`, '--initial-cluster', `default=http://127.0.0.1:${peer}`, '--log-level', 'error'], { stdio: 'ignore' });
  const etcd = new Etcd3({ hosts: url });
  try {
    await until(async () => etcd.get('probe').then(() => true, () => false), 15_000, 'etcd to answer', 100);
    const value = 'x'.repeat(valueBytes);
    let n = 0;
    let stop = false;
    const loop = async (w: number) => {
      for (let i = 0; !stop; i++) {
        await etcd.put(`/bench/${w}/${i}`).value(value);
        n++;
      }
    };
    // Warm-up second, then the measured window.
    setTimeout(() => (stop = true), 1_000);
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => loop(w + 1000)));
    stop = false;
    n = 0;
    const t0 = performance.now();
    setTimeout(() => (stop = true), durationS * 1000);
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => loop(w)));
    return n / ((performance.now() - t0) / 1000);
  } finally {
    etcd.close();
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    dir.remove();
  }
}

export async function apiWrite({ quick }: { quick: boolean }): Promise<Row[]> {
  const duration = quick ? 3 : 10;
  const server = await startServerChild({ controllers: false });
  let droverRate: number;
  let objectBytes: number;
  try {
    // Unnamed creates: the server generates names, so every request creates a new object.
    const body = taskBody('x') as { metadata: Record<string, unknown> };
    delete body.metadata.name;
    body.metadata.generateName = 'bench-';
    const one = await fetch(`${server.url}/api/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    objectBytes = (await one.text()).length;
    const opts = { url: `${server.url}/api/v1/tasks`, method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), connections: CONCURRENCY };
    await cannon({ ...opts, duration: 1 });
    const r = await cannon({ ...opts, duration });
    if (r.non2xx || r.errors) throw new Error(`api-write: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
    droverRate = r.requests.average;
  } finally {
    await server.close();
  }
  const etcdRate = await etcdPutRate(objectBytes, duration);
  const row: Row = { benchmark: 'api-write', metric: `create ${objectBytes} B objects, c=64 (fsync'd)`, value: droverRate, unit: 'writes/s', target: 'ratio ≥ 2.0' };
  if (etcdRate === undefined) {
    console.error('api-write: skipping the etcd baseline: /usr/bin/etcd not found (apt-get install etcd-server)');
    return [row];
  }
  const ratio = droverRate / etcdRate;
  return [{ ...row, baseline: { name: 'etcd 3.4 put (etcd3 client)', value: etcdRate }, ratio, met: ratio >= 2 }];
}
