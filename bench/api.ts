// api-read: GET one object through drover over TLS with a bearer token vs. a bare node:https
// server answering the same bytes in the same process. api-write: creates through drover (on SQLite, and on etcd) vs. puts of the
// same size into Debian's etcd 3.4 on loopback. Same load, concurrency 64; the load generator runs
// in this process, the servers in children, so the generator never competes with a server inside
// one event loop. Servers and etcd start in parallel; only measurements run one at a time.
import autocannon from 'autocannon';
import { Etcd3 } from 'etcd3';
import { Client } from '../src/client/client.js';
import type { Row } from './report.js';
import { ETCD_BIN, startEtcd, startServerChild, type EtcdProcess, type ServerChild } from './lib/util.js';

const CONCURRENCY = 64;

function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** Requests per second over the whole window (autocannon's average is of 1 s samples, wrong for short windows). */
function rate(r: autocannon.Result): number {
  return r.requests.total / Math.max(r.duration, 0.001);
}

const taskBody = (i: number | string) => ({
  metadata: { name: `bench-${i}`, labels: { app: 'bench', tier: 'web' } },
  spec: { template: { command: ['/bin/sleep', '3600'], env: { MODE: 'bench' }, resources: { cpu: '100m', memory: '64Mi' } } },
});

export async function apiRead({ quick }: { quick: boolean }): Promise<Row[]> {
  // As `drover server` serves by default: TLS, and a bearer token on every request (both sides
  // get the header; only drover checks it, so its cost is in the ratio).
  const server = await startServerChild({ controllers: false, secure: true });
  try {
    const client = new Client({ server: server.url, credentials: { token: server.token! }, tls: { ca: server.ca! } });
    await client.tasks.create(taskBody('read'));
    await client.close();
    const path = '/api/v1/tasks/bench-read';
    const targets = { drover: server.url + path, bare: await server.bare(path) };
    // Warm both (JIT, connections), then alternate short windows: the machine is shared, and a
    // burst of someone else's load then hits both sides instead of one.
    const headers = { authorization: `Bearer ${server.token}` };
    for (const url of Object.values(targets)) await cannon({ url, headers, connections: CONCURRENCY, duration: quick ? 0.3 : 1 });
    const rounds = quick ? 1 : 5;
    const window = quick ? 1 : 2;
    const total = { drover: { n: 0, s: 0, p99: [] as number[] }, bare: { n: 0, s: 0, p99: [] as number[] } };
    for (let i = 0; i < rounds; i++) {
      for (const side of ['drover', 'bare'] as const) {
        const r = await cannon({ url: targets[side], headers, connections: CONCURRENCY, duration: window });
        if (r.non2xx || r.errors) throw new Error(`api-read ${side}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
        total[side].n += r.requests.total;
        total[side].s += r.duration;
        total[side].p99.push(r.latency.p99);
      }
    }
    const drover = total.drover.n / total.drover.s;
    const bare = total.bare.n / total.bare.s;
    const ratio = drover / bare;
    const worst = (xs: number[]) => Math.max(...xs);
    return [
      { benchmark: 'api-read', metric: `GET one object over TLS with a bearer token, c=64 (${rounds}×${window} s each, alternating)`, value: drover, unit: 'req/s', baseline: { name: 'bare node:https', value: bare }, ratio, target: 'ratio ≥ 0.8', met: ratio >= 0.8 },
      { benchmark: 'api-read', metric: 'GET latency p99 (worst window)', value: worst(total.drover.p99), unit: 'ms', baseline: { name: 'bare node:https', value: worst(total.bare.p99) } },
    ];
  } finally {
    await server.close();
  }
}

/** Creates/s through a drover server, with server-generated names so every request creates. */
async function createRate(server: ServerChild, durationS: number, warmS: number): Promise<{ rate: number; objectBytes: number }> {
  const body = taskBody('x') as { metadata: Record<string, unknown> };
  delete body.metadata.name;
  body.metadata.generateName = 'bench-';
  const one = await fetch(`${server.url}/api/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const objectBytes = (await one.text()).length;
  if (!one.ok) throw new Error(`api-write: create failed with ${one.status}`);
  const opts = { url: `${server.url}/api/v1/tasks`, method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), connections: CONCURRENCY };
  await cannon({ ...opts, duration: warmS });
  const r = await cannon({ ...opts, duration: durationS });
  if (r.non2xx || r.errors) throw new Error(`api-write: ${r.non2xx} non-2xx answers (by status: ${JSON.stringify(r.statusCodeStats)}), ${r.errors} errors`);
  return { rate: rate(r), objectBytes };
}

/** Puts/s into etcd through the etcd3 client at the same concurrency, values of `valueBytes`. */
async function etcdPutRate(etcd: EtcdProcess, valueBytes: number, durationS: number, warmS: number): Promise<number> {
  const client = new Etcd3({ hosts: etcd.endpoints });
  try {
    const value = 'x'.repeat(valueBytes);
    const window = async (seconds: number, tag: string) => {
      let n = 0;
      let stop = false;
      const timer = setTimeout(() => (stop = true), seconds * 1000);
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, w) => {
          for (let i = 0; !stop; i++) {
            await client.put(`/bench-put/${tag}/${w}/${i}`).value(value);
            n++;
          }
        }),
      );
      clearTimeout(timer);
      return n / ((performance.now() - t0) / 1000);
    };
    await window(warmS, 'warm');
    return await window(durationS, 'run');
  } finally {
    client.close();
  }
}

export async function apiWrite({ quick }: { quick: boolean }): Promise<Row[]> {
  const duration = quick ? 0.7 : 10;
  const warm = quick ? 0.3 : 1;
  // Everything starts at once (process start is not what is measured); etcd, when installed,
  // serves both the put baseline and a second drover server.
  let etcd: EtcdProcess | undefined;
  let etcdServer: ServerChild | undefined;
  const etcdSide = startEtcd().then(async (e) => {
    etcd = e;
    if (e) etcdServer = await startServerChild({ controllers: false, etcd: { endpoints: e.endpoints } });
  });
  const sqliteServer = await startServerChild({ controllers: false });
  try {
    await etcdSide;
    const sqlite = await createRate(sqliteServer, duration, warm);
    await sqliteServer.close();
    const label = `create ${sqlite.objectBytes} B objects, c=64 (fsync'd)`;
    const row: Row = { benchmark: 'api-write', metric: `${label}, drover on SQLite`, value: sqlite.rate, unit: 'writes/s', target: 'ratio ≥ 2.0' };
    if (!etcd || !etcdServer) {
      console.error(`api-write: skipping the etcd baseline and drover on etcd: ${ETCD_BIN} not found (apt-get install etcd-server)`);
      return [row];
    }
    const puts = await etcdPutRate(etcd, sqlite.objectBytes, duration, warm);
    const onEtcd = await createRate(etcdServer, duration, warm);
    const baseline = { name: 'etcd 3.4 put (etcd3 client)', value: puts };
    const ratio = sqlite.rate / puts;
    return [
      { ...row, baseline, ratio, met: ratio >= 2 },
      { benchmark: 'api-write', metric: `${label}, drover on etcd (informational)`, value: onEtcd.rate, unit: 'writes/s', baseline, ratio: onEtcd.rate / puts },
    ];
  } finally {
    await sqliteServer.close();
    await etcdSide.catch(() => undefined);
    await etcdServer?.close();
    await etcd?.close();
  }
}
