// fleet: the schedule and read workloads through the /fleet/v1 façade. Read: GET one unit
// through fleet vs. GET of the same service through the native API (same server, same load).
// Schedule: units PUT as launched onto hollow machines, submit → all bound, vs. the same number
// of one-replica services through the native API in the same run.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { Row } from './report.js';
import { startHollowFleet } from './lib/hollow-fleet.js';
import { benchDir, startServerChild, until, type ServerChild } from './lib/util.js';

function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

async function put(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`PUT ${url}: ${res.status} ${text}`);
}

/** Submits `count` single-task workloads with `submit(i)` at concurrency 16; ms until all bound. */
async function scheduleThrough(starting: Promise<ServerChild>, count: number, machines: number, submit: (url: string, i: number) => Promise<void>): Promise<number> {
  const server = await starting;
  // The hollow machines run in a child process, off the event loop that submits.
  const hollow = startHollowFleet({ server: server.url, machines });
  try {
    await hollow.registered;
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < count) await submit(server.url, next++);
      }),
    );
    await until(() => hollow.started() >= count, 120_000, `${count} units bound`, 10);
    return performance.now() - t0;
  } finally {
    await hollow.close();
    await server.close();
  }
}

export async function fleet({ quick }: { quick: boolean }): Promise<Row[]> {
  if (!existsSync(join(benchDir, '..', 'src', 'compat', 'fleet', 'index.js'))) {
    console.error('fleet: skipped: the /fleet/v1 façade (src/compat/fleet) does not exist yet');
    return [];
  }
  const rows: Row[] = [];
  const duration = quick ? 0.5 : 10;
  const unit = (i: number) => ({
    desiredState: 'launched',
    options: [
      { section: 'Service', name: 'ExecStart', value: `/bin/sleep 36${i % 10}0` },
      { section: 'X-Fleet', name: 'MachineMetadata', value: `zone=zone-${'abcd'[i % 4]}` },
    ],
  });
  const server = await startServerChild({ controllers: false });
  try {
    await put(`${server.url}/fleet/v1/units/read.service`, unit(0));
    const fleetUrl = `${server.url}/fleet/v1/units/read.service`;
    const nativeUrl = `${server.url}/api/v1/services/read.service`;
    await cannon({ url: fleetUrl, connections: 64, duration: quick ? 0.3 : 1 });
    await cannon({ url: nativeUrl, connections: 64, duration: quick ? 0.3 : 1 });
    const f = await cannon({ url: fleetUrl, connections: 64, duration });
    const n = await cannon({ url: nativeUrl, connections: 64, duration });
    if (f.non2xx || f.errors) throw new Error(`fleet read: ${f.non2xx} non-2xx answers, ${f.errors} errors`);
    rows.push({ benchmark: 'fleet', metric: 'GET /fleet/v1/units/NAME, c=64', value: f.requests.average, unit: 'req/s', baseline: { name: 'native GET of the service', value: n.requests.average }, ratio: f.requests.average / n.requests.average });
  } finally {
    await server.close();
  }
  const count = quick ? 100 : 5_000;
  const machines = quick ? 20 : 500;
  // Both servers start at once (an idle server waits its turn; process start is not measured).
  const [forFleet, forNative] = [0, 1].map(() => startServerChild({ controllers: true, machineGraceSeconds: 60 }));
  forNative!.catch(() => {});
  let viaFleet: number;
  let viaNative: number;
  try {
    viaFleet = await scheduleThrough(forFleet!, count, machines, (url, i) => put(`${url}/fleet/v1/units/u-${i}.service`, unit(i)));
    viaNative = await scheduleThrough(forNative!, count, machines, (url, i) =>
      put(`${url}/api/v1/services/n-${i}`, { metadata: { name: `n-${i}` }, spec: { replicas: 1, template: { command: ['/bin/sleep', '3600'] }, constraints: { machineSelector: { zone: `zone-${'abcd'[i % 4]}` } } } }),
    );
  } finally {
    // A run that failed leaves the other server up (close is idempotent).
    await Promise.allSettled([forFleet!, forNative!].map((p) => p.then((server) => server.close())));
  }
  const f = count / (viaFleet / 1000);
  const n = count / (viaNative / 1000);
  rows.push({ benchmark: 'fleet', metric: `${count.toLocaleString('en-US')} units launched on ${machines} hollow machines: submit → all bound`, value: f, unit: 'units/s', baseline: { name: 'native services', value: n }, ratio: f / n });
  return rows;
}
