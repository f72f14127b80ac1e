// The two proxy cores over real sockets: the agents' layer 4 ingress ports and the layer 7
// Ingress proxy, fed Endpoints and Ingress objects as their watches would feed them.
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HttpIngressProxy } from '../../src/ingress/http-proxy.js';
import { TcpIngress, type PortProblem } from '../../src/ingress/tcp-ports.js';
import type { Ingress } from '../../src/model/index.js';
import { until } from '../helpers.js';
import { endpointsOf, freePort, get, startBackend, type Backend } from './backends.js';

const count = (names: string[]) => names.reduce<Record<string, number>>((acc, n) => ({ ...acc, [n]: (acc[n] ?? 0) + 1 }), {});

describe('layer 4 ingress ports', () => {
  let a: Backend, b: Backend;
  before(async () => {
    [a, b] = await Promise.all([startBackend('a'), startBackend('b')]);
  });
  after(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('spreads connections over the ready endpoints, skips an unready one and a refusing one, and stops listening when the service goes', async () => {
    const port = await freePort();
    const l4 = new TcpIngress({ address: '127.0.0.1' });
    try {
      const ep = endpointsOf('web', [{ task: 'web-a', port: a.port }, { task: 'web-b', port: b.port }], [{ port }]);
      l4.set(ep);
      await until(() => l4.listening().get(port) === 'default/web', 'the ingress port to listen');
      const names = [];
      for (let i = 0; i < 10; i++) names.push(JSON.parse((await get(port)).body).name as string);
      assert.deepEqual(count(names), { a: 5, b: 5 });

      l4.set(endpointsOf('web', [{ task: 'web-a', port: a.port }, { task: 'web-b', port: b.port, ready: false }], [{ port }]));
      for (let i = 0; i < 4; i++) assert.equal(JSON.parse((await get(port)).body).name, 'a');

      // A task that stopped but is still listed ready: every connection still gets an answer.
      const gone = await freePort();
      l4.set(endpointsOf('web', [{ task: 'web-a', port: a.port }, { task: 'web-gone', port: gone }], [{ port }]));
      for (let i = 0; i < 6; i++) assert.equal((await get(port)).status, 200);

      l4.delete(ep);
      await until(() => !l4.listening().has(port), 'the port to close');
      await assert.rejects(get(port), /ECONNREFUSED/);
    } finally {
      await l4.close();
    }
  });

  it('excludes a task the agent is stopping at once', async () => {
    const port = await freePort();
    const stopping = new Set<string>();
    const l4 = new TcpIngress({ address: '127.0.0.1', isExcluded: (_ns, t) => stopping.has(t) });
    try {
      l4.set(endpointsOf('web', [{ task: 'web-a', port: a.port }, { task: 'web-b', port: b.port }], [{ port }]));
      await until(() => l4.listening().has(port), 'the ingress port to listen');
      stopping.add('web-a');
      for (let i = 0; i < 4; i++) assert.equal(JSON.parse((await get(port)).body).name, 'b');
    } finally {
      await l4.close();
    }
  });

  it('a port it cannot bind is reported, not fatal, and bound once free', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    let problems: PortProblem[] = [];
    const l4 = new TcpIngress({ address: '127.0.0.1', retryMs: 50, onProblems: (p) => (problems = p) });
    try {
      l4.set(endpointsOf('web', [{ task: 'web-a', port: a.port }], [{ port }]));
      await until(() => problems.length === 1, 'the problem to be reported');
      assert.equal(problems[0]!.message, `port ${port} is already in use on this machine`);
      assert.equal(problems[0]!.service, 'default/web');
      await new Promise((r) => taken.close(r));
      await until(() => problems.length === 0 && l4.listening().has(port), 'the port to be bound after it was freed');
      assert.equal(JSON.parse((await get(port)).body).name, 'a');
    } finally {
      await l4.close();
    }
  });
});

describe('layer 7 ingress proxy', () => {
  let a: Backend, b: Backend, proxy: HttpIngressProxy, port: number;
  const site: Ingress = { apiVersion: 'drover/v1', kind: 'Ingress', metadata: { name: 'site', namespace: 'default' }, spec: { rules: [{ host: 'shop.test', path: '/api', service: 'web' }, { host: 'shop.test', path: '/empty', service: 'empty' }] } } as Ingress;
  before(async () => {
    [a, b] = await Promise.all([startBackend('a'), startBackend('b')]);
    proxy = new HttpIngressProxy();
    port = (await proxy.listen('127.0.0.1', 0)).port;
    proxy.setIngress(site);
    proxy.replaceEndpoints([endpointsOf('web', [{ task: 'web-a', port: a.port }, { task: 'web-b', port: b.port }]), endpointsOf('empty', [{ task: 'empty-a', port: a.port, ready: false }])]);
  });
  after(async () => {
    await proxy.close();
    await Promise.all([a.close(), b.close()]);
  });

  it('routes by host and path to both ready endpoints, with X-Forwarded-* set', async () => {
    const seen = [];
    for (let i = 0; i < 8; i++) {
      const r = await get(port, '/api/items?x=1', { host: 'shop.test:8080', 'x-forwarded-for': '203.0.113.9' });
      assert.equal(r.status, 200);
      const echo = JSON.parse(r.body);
      assert.equal(echo.url, '/api/items?x=1');
      assert.equal(echo.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
      assert.equal(echo.headers['x-forwarded-proto'], 'http');
      assert.equal(echo.headers['x-forwarded-host'], 'shop.test:8080');
      seen.push(echo.name as string);
    }
    assert.deepEqual(count(seen), { a: 4, b: 4 });
  });

  it('answers 404 with no matching rule, 503 naming the service with none ready', async () => {
    const none = await get(port, '/other', { host: 'shop.test' });
    assert.equal(none.status, 404);
    assert.match(none.body, /no ingress rule matches host "shop.test" and path "\/other"/);
    const apix = await get(port, '/apix', { host: 'shop.test' });
    assert.equal(apix.status, 404);
    const empty = await get(port, '/empty', { host: 'shop.test' });
    assert.equal(empty.status, 503);
    assert.equal(empty.body, 'service "default/empty" has no ready endpoints (ingress "site")\n');
  });

  it('retries a refusing upstream (POST with a body too), and answers 502 when all fail', async () => {
    const gone = await freePort();
    proxy.upstreams.set(endpointsOf('web', [{ task: 'web-gone', port: gone }, { task: 'web-a', port: a.port }]));
    try {
      for (let i = 0; i < 4; i++) {
        const r = await get(port, '/api/post', { host: 'shop.test', 'content-type': 'text/plain' }, 'POST', 'hello');
        assert.equal(r.status, 200);
        assert.deepEqual([JSON.parse(r.body).name, JSON.parse(r.body).body], ['a', 'hello']);
      }
      proxy.upstreams.set(endpointsOf('web', [{ task: 'web-gone', port: gone }]));
      const r = await get(port, '/api', { host: 'shop.test' });
      assert.equal(r.status, 502);
      assert.equal(r.body, `upstream 127.0.0.1:${gone} (task "web-gone") of service "default/web" failed: ECONNREFUSED\n`);
    } finally {
      proxy.upstreams.set(endpointsOf('web', [{ task: 'web-a', port: a.port }, { task: 'web-b', port: b.port }]));
    }
  });

  it('passes an Upgrade through and carries bytes both ways', async () => {
    const socket = connect(port, '127.0.0.1');
    try {
      let got = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (got += d));
      socket.write('GET /api/ws HTTP/1.1\r\nhost: shop.test\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\r\n');
      await until(() => got.includes('\r\n\r\n'), 'the 101 answer');
      assert.match(got, /^HTTP\/1.1 101 Switching Protocols\r\n/);
      assert.match(got, /x-backend: [ab]\r\n/);
      got = '';
      socket.write('ping through the tunnel');
      await until(() => got === 'ping through the tunnel', 'the echo');
    } finally {
      socket.destroy();
    }
  });
});
