// Hostile input is refused cheaply, before it costs the server: each case here once took the
// server down or held gigabytes (issue 14, "hostile input that costs the server").
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { http } from '../helpers.js';
import { assertError, createService, JSON_PATCH, MERGE, send, storeRevision, useApiServer } from './support.js';

const YAML_IN = { 'content-type': 'application/yaml' };

describe('limits on what one request may cost', () => {
  const s = useApiServer();

  it('a JSON patch that doubles the object with copy is stopped at the object size limit, quickly, and changes nothing', async () => {
    const svc = await createService(s.url, 'doubling', { spec: { template: { command: ['sleep', '1'], env: { A: 'x'.repeat(1000) } } } });
    const ops = [{ op: 'add', path: '/metadata/annotations', value: { a: 'x'.repeat(1000) } }];
    // Each copy doubles spec: 40 of them would be terabytes.
    for (let i = 0; i < 40; i++) ops.push({ op: 'copy', from: '/spec', path: `/spec/template/env/K${i}` } as never);
    const res = await send(`${s.api}/services/doubling`, 'PATCH', ops, JSON_PATCH);
    assertError(res, 413, 'PayloadTooLarge', 'larger than');
    assert.equal((await http(`${s.url}/healthz`)).status, 200);
    assert.equal((await s.client.services.get('doubling')).metadata.revision, svc.metadata.revision);
  });

  it('a JSON patch of more than 1,000 operations is refused before it is applied', async () => {
    await createService(s.url, 'many-ops');
    const ops = Array.from({ length: 1_001 }, () => ({ op: 'test', path: '/kind', value: 'Service' }));
    assertError(await send(`${s.api}/services/many-ops`, 'PATCH', ops, JSON_PATCH), 422, 'Invalid', '1001 operations');
  });

  it('patches through __proto__ answer 422, not 500', async () => {
    await createService(s.url, 'proto');
    const rev = await storeRevision(s.url);
    assertError(await send(`${s.api}/services/proto`, 'PATCH', [{ op: 'add', path: '/__proto__/x', value: 1 }], JSON_PATCH), 422, 'Invalid', '__proto__');
    assertError(await send(`${s.api}/services/proto`, 'PATCH', '{"__proto__":{"polluted":true}}', MERGE), 422, 'Invalid');
    assert.equal(await storeRevision(s.url), rev);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('replicas above the cap answer 422 naming the cap', async () => {
    const rev = await storeRevision(s.url);
    const err = assertError(await send(`${s.api}/services`, 'POST', { metadata: { name: 'million' }, spec: { replicas: 1_000_000, template: { command: ['true'] } } }), 422, 'Invalid');
    assert.match(err.details!.find((d) => d.path === '/spec/replicas')!.message, /at most 10000 replicas per service/);
    assert.equal(await storeRevision(s.url), rev);
  });

  it('a YAML body whose aliases expand it 100 times is refused before it is built', async () => {
    const rev = await storeRevision(s.url);
    const big = 'x'.repeat(900_000);
    const lines = ['metadata: {name: aliased}', 'spec:', '  template:', '    command: ["true"]', '    env:', `      K0: &big "${big}"`];
    for (let i = 1; i < 100; i++) lines.push(`      K${i}: *big`);
    const res = await http(`${s.api}/services`, { method: 'POST', headers: YAML_IN, body: lines.join('\n') });
    assertError(res, 400, 'BadRequest', 'aliases');
    assert.equal(await storeRevision(s.url), rev);
  });

  it('an object larger than 1.5 MiB once decoded is refused, whatever its body size', async () => {
    const rev = await storeRevision(s.url);
    const big = 'y'.repeat(100_000);
    const lines = ['metadata: {name: huge}', 'spec:', '  template:', '    command: ["true"]', '    env:', `      K0: &big "${big}"`];
    for (let i = 1; i < 17; i++) lines.push(`      K${i}: *big`);
    assertError(await http(`${s.api}/services`, { method: 'POST', headers: YAML_IN, body: lines.join('\n') }), 413, 'PayloadTooLarge', 'limit');
    assert.equal(await storeRevision(s.url), rev);
  });

  it('too many labels, too many label bytes, too many annotation bytes: 422 each', async () => {
    const rev = await storeRevision(s.url);
    const many = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`k${i}`, 'v']));
    assertError(await send(`${s.api}/services`, 'POST', { metadata: { name: 'labelled', labels: many }, spec: { template: { command: ['true'] } } }), 422, 'Invalid', 'labels');
    const wide = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`.padEnd(200, 'k'), 'v'.repeat(200)]));
    assertError(await send(`${s.api}/services`, 'POST', { metadata: { name: 'labelled', labels: wide }, spec: { template: { command: ['true'] } } }), 422, 'Invalid', 'bytes');
    const notes = { note: 'n'.repeat(300 * 1024) };
    assertError(await send(`${s.api}/services`, 'POST', { metadata: { name: 'noted', annotations: notes }, spec: { template: { command: ['true'] } } }), 422, 'Invalid', 'annotations');
    assert.equal(await storeRevision(s.url), rev);
  });

  it('a free-form field nested 2,000 levels deep is refused, and lists of that kind keep working as YAML', async () => {
    const rev = await storeRevision(s.url);
    const deep: Record<string, unknown> = {};
    let cur = deep;
    for (let i = 0; i < 2_000; i++) cur = (cur.a = {}) as Record<string, unknown>;
    assertError(await send(`${s.api}/operations`, 'POST', { spec: { type: 'Compact', params: deep } }), 422, 'Invalid', 'nested more than 64 levels');
    assert.equal(await storeRevision(s.url), rev);
    assert.equal((await http(`${s.api}/operations`, { headers: { accept: 'application/yaml' } })).status, 200);
  });

  it('label selectors never match inherited properties (constructor, toString, __proto__)', async () => {
    await createService(s.url, 'with-labels', { labels: { app: 'x' } });
    for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const list = (await http(`${s.api}/services?labelSelector=${encodeURIComponent(key)}`)).json();
      assert.deepEqual(list.items, [], `-l ${key}`);
    }
  });
});

describe('requests a browser could be tricked into sending', () => {
  const s = useApiServer();

  it('a bodiless POST without a Content-Type answers 415 (a cross-site form could send it)', async () => {
    for (const path of ['/api/v1/machines/m1/heartbeat', '/api/v1/tasks/t1/kill', '/api/v1/services']) {
      assertError(await http(`${s.url}${path}`, { method: 'POST' }), 415, 'UnsupportedMediaType', 'application/json');
    }
    // The typed client sends {} on its own.
    await s.client.machines.create({ metadata: { name: 'm1' } });
    const beat = await s.client.request<{ graceSeconds: number }>('POST', '/api/v1/machines/m1/heartbeat');
    assert.equal(typeof beat.body.graceSeconds, 'number');
  });

  it('a server on loopback refuses requests addressed to another host name (DNS rebinding)', async () => {
    const res = await raw(s.url, 'GET /api/v1/services HTTP/1.1\r\nHost: attacker.example:80\r\nConnection: close\r\n\r\n');
    assert.match(res, /^HTTP\/1\.1 400 /);
    assert.match(res, /"reason":"BadRequest".*DNS rebinding/);
    assert.match(await raw(s.url, 'GET /api/v1/services HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /);
  });

  it("requests Node's parser refuses answer in the error envelope", async () => {
    const res = await raw(s.url, 'GET /api/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    assert.match(res, /^HTTP\/1\.1 400 /);
    const body = JSON.parse(res.slice(res.indexOf('\r\n\r\n') + 4));
    assert.equal(body.error.code, 400);
    assert.equal(body.error.reason, 'BadRequest');
    assert.match(body.error.message, /malformed HTTP request/);
  });
});

/** Sends bytes as they are and returns the whole answer. */
function raw(base: string, request: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let out = '';
    socket.on('data', (d) => (out += d.toString()));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.write(request);
  });
}
