// The API side of ingress: a service's ingress ports (unique cluster-wide, aimed at a template
// port), the Ingress kind, and the server's Upgrade routing (port-forward's) leaving other
// Upgrades alone.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../../src/errors.js';
import { startTestServer, until, type TestServer } from '../helpers.js';

const template = { command: ['sleep', '300'], ports: [{ name: 'http' }, { name: 'admin' }] };

describe('ingress ports and the Ingress kind', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ controllers: false });
  });
  after(() => s.close());

  it('an ingress port is one service\'s: another service asking for it gets 409 naming the first, and nothing is written', async () => {
    await s.client.services.create({ metadata: { name: 'web' }, spec: { template, ingress: [{ port: 30080 }] } });
    await s.client.resource('namespaces').create({ metadata: { name: 'shop' } } as never);
    const other = s.client.services.in('shop');
    await assert.rejects(other.create({ metadata: { name: 'api' }, spec: { template, ingress: [{ port: 30080 }] } }), (e: unknown) => e instanceof ApiError && e.code === 409 && e.message === 'ingress port 30080 is already used by service "web" in namespace "default"; pick another port');
    assert.equal(await other.find('api'), undefined);
    // The owner may keep it on update; the port is free again once web lets it go.
    await s.client.services.patch('web', { spec: { replicas: 2 } });
    await s.client.services.patch('web', { spec: { ingress: [{ port: 30081, targetPort: 'admin' }] } });
    await other.create({ metadata: { name: 'api' }, spec: { template, ingress: [{ port: 30080 }] } });
  });

  it('targetPort must name a template port; a template without ports has nothing to forward to', async () => {
    await assert.rejects(s.client.services.create({ metadata: { name: 'bad' }, spec: { template, ingress: [{ port: 30090, targetPort: 'grpc' }] } }), (e: unknown) => e instanceof ApiError && e.code === 422 && e.details?.[0]?.path === '/spec/ingress/0/targetPort' && e.details[0].message === '"grpc" is not a port of the template (it has "http", "admin")');
    await assert.rejects(s.client.services.create({ metadata: { name: 'bad' }, spec: { template: { command: ['sleep', '1'] }, ingress: [{ port: 30090 }] } }), (e: unknown) => e instanceof ApiError && e.code === 422 && e.details?.[0]?.path === '/spec/ingress/0');
    assert.equal(await s.client.services.find('bad'), undefined);
  });

  it('a request that also offers an Upgrade (curl --http2 asks for h2c) is served as a plain one, body and keep-alive included', async () => {
    const { port } = new URL(s.url);
    const body = JSON.stringify({ metadata: { name: 'h2c' }, spec: { template: { command: ['true'] } } });
    const socket = connect(Number(port), '127.0.0.1');
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (got += d));
    socket.write(`POST /api/v1/services HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\nhttp2-settings: AAMAAABkAAQAoAAAAAIAAAAA\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    await until(() => got.includes('"name":"h2c"'), () => `the created service in the answer (got ${got})`);
    assert.match(got, /^HTTP\/1.1 201 /);
    // The same connection serves the next request.
    got = '';
    socket.write('GET /api/v1/services/h2c HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    await until(() => got.includes('"name":"h2c"'), 'the second answer on the same connection');
    assert.match(got, /^HTTP\/1.1 200 /);
    socket.destroy();
  });

  it('Ingress: created, listed, and refused with two rules for one host and path', async () => {
    await s.client.ingresses.create({ metadata: { name: 'site' }, spec: { rules: [{ host: 'shop.test', path: '/api', service: 'web', port: 'http' }] } });
    assert.deepEqual((await s.client.ingresses.list()).items.map((i) => i.metadata.name), ['site']);
    await assert.rejects(s.client.ingresses.create({ metadata: { name: 'dup' }, spec: { rules: [{ path: '/a', service: 'x' }, { path: '/a', service: 'y' }] } }), (e: unknown) => e instanceof ApiError && e.code === 422 && e.details?.[0]?.path === '/spec/rules/1');
    await assert.rejects(s.client.ingresses.create({ metadata: { name: 'nopath' }, spec: { rules: [{ path: 'api', service: 'x' }] } }), (e: unknown) => e instanceof ApiError && e.code === 422);
  });
});
