// ingress: requests/s through drover's layer 7 ingress proxy vs. the same HTTP server hit
// directly by the same client (autocannon, c=64) in the same run, for two upstreams: python3's
// http.server (what issue 19's tests serve; HTTP/1.0, a connection per request) and a bare
// node:http server on keep-alive (the worst case for a proxy: an upstream as cheap as the proxy
// itself). The upstream and the proxy run in their own processes, the load generator in this
// one; on 2 cores the proxied path runs three busy processes where the direct one runs two, so
// the ratio includes that contention.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { Row } from './report.js';
import { benchDir } from './lib/util.js';

const CONCURRENCY = 64;

function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

async function child(args: string[]): Promise<{ port: number; child: ChildProcess }> {
  const c = fork(join(benchDir, 'lib', 'ingress-child.js'), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    c.once('message', (m: { port: number }) => resolve(m.port));
    c.once('exit', (code) => reject(new Error(`ingress bench child ${args[0]} exited with ${code}`)));
  });
  return { port, child: c };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** python3 -m http.server serving one small file, once it answers. */
async function pythonUpstream(): Promise<{ port: number; child: ChildProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-ingress-'));
  writeFileSync(join(dir, 'items'), JSON.stringify({ hello: 'from the upstream', padding: 'x'.repeat(64) }));
  const port = await freePort();
  const c = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`http://127.0.0.1:${port}/items`).then((r) => r.ok, () => false))) return { port, child: c, dir };
    await new Promise((r) => setTimeout(r, 50));
  }
  c.kill();
  throw new Error('python3 -m http.server did not answer within 5 s');
}

export async function ingress({ quick }: { quick: boolean }): Promise<Row[]> {
  const node = await child(['upstream']);
  // Quick: the bare upstream alone (python's start and its slow answers are most of the time).
  const python = quick ? undefined : await pythonUpstream();
  try {
    return [
      ...(await measure(quick, node.port, 'a bare node:http server on keep-alive', 'ingress proxy requests/s')),
      ...(python ? await measure(quick, python.port, 'python3 -m http.server (HTTP/1.0)', 'ingress proxy requests/s to python3 -m http.server') : []),
    ];
  } finally {
    node.child.kill();
    python?.child.kill();
    if (python) rmSync(python.dir, { recursive: true, force: true });
  }
}

async function measure(quick: boolean, upstreamPort: number, upstreamName: string, metric: string): Promise<Row[]> {
  const upstream = { port: upstreamPort };
  const proxy = await child(['proxy', String(upstream.port)]);
  try {
    const targets = { proxy: `http://127.0.0.1:${proxy.port}/items`, direct: `http://127.0.0.1:${upstream.port}/items` };
    for (const url of Object.values(targets)) await cannon({ url, connections: CONCURRENCY, duration: quick ? 0.3 : 1 });
    // Alternating short windows: a burst of someone else's load hits both sides, not one.
    const rounds = quick ? 1 : 5;
    const window = quick ? 1 : 2;
    const total = { proxy: { n: 0, s: 0 }, direct: { n: 0, s: 0 } };
    for (let i = 0; i < rounds; i++) {
      for (const side of ['proxy', 'direct'] as const) {
        const r = await cannon({ url: targets[side], connections: CONCURRENCY, duration: window });
        if (r.non2xx || r.errors) throw new Error(`ingress ${side}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
        total[side].n += r.requests.total;
        total[side].s += r.duration;
      }
    }
    const viaProxy = total.proxy.n / total.proxy.s;
    const direct = total.direct.n / total.direct.s;
    const ratio = viaProxy / direct;
    return [
      { benchmark: 'ingress', metric: `${metric}, c=64 (${rounds}×${window} s each, alternating)`, value: viaProxy, unit: 'req/s', baseline: { name: `${upstreamName}, directly`, value: direct }, ratio, target: 'ratio ≥ 0.7', met: ratio >= 0.7 },
    ];
  } finally {
    proxy.child.kill();
  }
}
