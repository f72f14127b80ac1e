// fleet's routing (api/mux.go, each resource's ServeHTTP): both prefixes, 404/405 as fleetd
// sends them, the discovery document, and the unix socket.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { http, startTestServer, tempDir, type TestServer } from '../helpers.js';
import { fleet, sleepUnit } from './fleet.js';

describe('fleet routing', () => {
  let s: TestServer;
  const socket = join(tempDir('drover-fleet-sock-'), 'fleet.sock');
  before(async () => {
    s = await startTestServer({ controllers: false, fleetSocket: socket });
  });
  after(() => s.close());

  test('/v1-alpha serves the same API as /fleet/v1', async () => {
    await fleet(s.url).put('/units/alpha.service', { desiredState: 'loaded', options: sleepUnit() });
    const r = await fleet(s.url, '/v1-alpha').get('/units/alpha.service');
    assert.equal(r.status, 200);
    assert.equal(r.json().name, 'alpha.service');
  });

  test('404 and 405 as fleet sends them, never the native envelope', async () => {
    const f = fleet(s.url);
    const cases: [string, string, number, string][] = [
      ['GET', '', 405, ''],
      ['DELETE', '', 405, ''],
      ['GET', '/', 404, ''],
      ['GET', '/nothing', 404, ''],
      ['GET', '/units/', 404, ''],
      ['GET', '/units/a/b', 404, ''],
      ['GET', '/machines/x', 404, ''],
      ['POST', '/units', 405, 'only GET supported against this resource'],
      ['POST', '/units/x.service', 405, 'only GET, PUT and DELETE supported against this resource'],
      ['PUT', '/state', 405, 'only GET supported against this resource'],
      ['DELETE', '/state/x.service', 405, 'only GET supported against this resource'],
      ['POST', '/discovery', 400, 'only HTTP GET supported against this resource'],
    ];
    for (const [method, path, code, message] of cases) {
      const r = await f.req(method, path);
      assert.equal(r.status, code, `${method} ${path}`);
      assert.equal(r.headers.get('content-type'), 'application/json');
      assert.equal(r.text, JSON.stringify({ error: { code, message } }), `${method} ${path}`);
    }
  });

  test('every answer carries fleetd\'s Server header; the native API does not', async () => {
    const f = fleet(s.url);
    for (const r of [await f.get('/units'), await f.get('/nothing'), await f.req('POST', '/units'), await http(`${s.url}/`)]) {
      assert.equal(r.headers.get('server'), 'fleetd/v1.0.0');
    }
    assert.equal((await http(`${s.url}/api/v1/machines`)).headers.get('server'), null);
  });

  test('the root answers as fleetd\'s does: 405 with an empty message, whatever the method', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const r = await http(`${s.url}/`, { method });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.get('content-type'), 'application/json');
      assert.equal(r.text, '{"error":{"code":405,"message":""}}', method);
    }
  });

  test('the discovery document names fleet\'s resources and methods', async () => {
    const r = await fleet(s.url).get('/discovery');
    assert.equal(r.status, 200);
    const doc = r.json();
    assert.equal(doc.kind, 'discovery#restDescription');
    assert.equal(doc.resources.Machines.methods.List.id, 'fleet.Machine.List');
    assert.equal(doc.resources.Units.methods.Set.httpMethod, 'PUT');
    assert.equal(doc.resources.Units.methods.Set.path, 'units/{unitName}');
    assert.equal(doc.resources.UnitState.methods.List.id, 'fleet.UnitState.List');
    assert.deepEqual(Object.keys(doc.resources.UnitState.methods.List.parameters).sort(), ['machineID', 'nextPageToken', 'unitName']);
    assert.deepEqual(Object.keys(doc.schemas).sort(), ['Machine', 'MachinePage', 'Unit', 'UnitOption', 'UnitPage', 'UnitState', 'UnitStatePage']);
  });

  test('the native API keeps its own envelope', async () => {
    const r = await fetch(`${s.url}/api/v1/nothing`);
    assert.equal(r.status, 404);
    assert.ok(((await r.json()) as { error: { reason: string } }).error.reason);
  });

  test('the façade is served on the unix socket too', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ socketPath: socket, path: '/fleet/v1/units/alpha.service' }, (res) => {
        let out = '';
        res.on('data', (d) => (out += d));
        res.on('end', () => resolve(out));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(JSON.parse(body).name, 'alpha.service');
  });

  test('a live socket is not taken over, nor a file that is not a socket; a stale one is replaced', async () => {
    await assert.rejects(startTestServer({ controllers: false, fleetSocket: socket }), /is in use by another process/);
    // The running server still answers on it.
    const status = await new Promise<number>((resolve, reject) => {
      request({ socketPath: socket, path: '/fleet/v1/units' }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject).end();
    });
    assert.equal(status, 200);
    const dir = tempDir('drover-fleet-sock-');
    const plain = join(dir, 'not-a-socket');
    writeFileSync(plain, 'keep me');
    await assert.rejects(startTestServer({ controllers: false, fleetSocket: plain }), /exists and is not a socket/);
    assert.equal(readFileSync(plain, 'utf8'), 'keep me');
    // A socket file nobody listens on (left by a killed server) is removed and served again.
    const stale = join(dir, 'stale.sock');
    const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((ok) => holder.stdout!.once('data', ok));
    holder.kill('SIGKILL');
    await new Promise((ok) => holder.once('exit', ok));
    assert.ok(lstatSync(stale).isSocket(), 'the killed process left its socket file');
    const second = await startTestServer({ controllers: false, fleetSocket: stale });
    try {
      const code = await new Promise<number>((resolve, reject) => {
        request({ socketPath: stale, path: '/fleet/v1/units' }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject).end();
      });
      assert.equal(code, 200);
    } finally {
      await second.close();
    }
  });
});
