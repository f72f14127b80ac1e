// Who may use the Commissaire façade: HTTP basic as drover users; a missing or wrong credential
// is Commissaire's 403 "Forbidden" (text/html, no WWW-Authenticate, before any route: an unknown
// path too), and RBAC applies as at every other door. Also its own listener (--commissaire-listen).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, encodedKey, startCommissaireServer, VIEWER, type CommissaireServer } from './support.js';

describe('Commissaire authentication and authorization', () => {
  let s: CommissaireServer;
  before(async () => {
    s = await startCommissaireServer({ commissaireListen: '127.0.0.1:0' });
    await s.call('PUT', '/api/v0/cluster/honeynut', {});
    await s.call('PUT', '/api/v0/host/192.168.152.110', { ssh_priv_key: encodedKey('KEY') });
  });
  after(async () => {
    await s.close();
  });

  it('serves on its own listener, which has nothing but /api/v0', async () => {
    assert.match(s.base, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(s.base, s.ts.url);
    assert.deepEqual((await s.call('GET', '/api/v0/clusters')).json(), ['honeynut']);
    const native = await s.call('GET', '/api/v1/hosts');
    assert.deepEqual([native.status, native.contentType, native.text], [404, 'text/html', 'Not Found']);
  });

  it('no credentials, a wrong password or an unknown user: 403 Forbidden, text/html, no WWW-Authenticate, on every route', async () => {
    for (const who of [null, { user: ADMIN.user, password: 'wrong' }, { user: 'nobody', password: 'x' }]) {
      for (const [method, path] of [
        ['GET', '/api/v0/clusters'],
        ['PUT', '/api/v0/cluster/cornflakes'],
        ['GET', '/api/v0/host/192.168.152.110/creds'],
        ['GET', '/api/v0/no/such/route'],
      ]) {
        const r = await s.call(method!, path!, method === 'PUT' ? {} : undefined, who);
        assert.deepEqual([r.status, r.contentType, r.text], [403, 'text/html', 'Forbidden'], `${JSON.stringify(who)} ${method} ${path}`);
        assert.equal(r.headers.get('www-authenticate'), null);
      }
    }
    assert.equal((await s.call('GET', '/api/v0/cluster/cornflakes')).status, 404, 'the refused PUT created nothing');
  });

  it('the main listener answers /api/v0 the same way', async () => {
    const r = await fetch(`${s.ts.url}/api/v0/clusters`);
    assert.deepEqual([r.status, r.headers.get('content-type'), r.headers.get('www-authenticate'), await r.text()], [403, 'text/html', null, 'Forbidden']);
    const ok = await fetch(`${s.ts.url}/api/v0/clusters`, { headers: { authorization: `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}` } });
    assert.deepEqual(await ok.json(), ['honeynut']);
  });

  it('a user who may only read reads, and every write is 403 and changes nothing', async () => {
    assert.deepEqual((await s.call('GET', '/api/v0/clusters', undefined, VIEWER)).json(), ['honeynut']);
    assert.equal((await s.call('GET', '/api/v0/host/192.168.152.110', undefined, VIEWER)).status, 200);
    for (const [method, path, body] of [
      ['PUT', '/api/v0/cluster/cornflakes', {}],
      ['DELETE', '/api/v0/cluster/honeynut', undefined],
      ['PUT', '/api/v0/host/192.168.152.111', { ssh_priv_key: encodedKey('KEY') }],
      ['DELETE', '/api/v0/host/192.168.152.110', undefined],
      ['PUT', '/api/v0/network/net2', {}],
      ['PUT', '/api/v0/containermanager/cm2', {}],
      ['PUT', '/api/v0/cluster/honeynut/upgrade', {}],
      ['PUT', '/api/v0/cluster/honeynut/deploy', { version: '1' }],
    ] as const) {
      const r = await s.call(method, path, body, VIEWER);
      assert.deepEqual([r.status, r.contentType, r.text], [403, 'text/html', 'Forbidden'], `${method} ${path}`);
    }
    assert.deepEqual((await s.call('GET', '/api/v0/clusters')).json(), ['honeynut']);
    assert.deepEqual((await s.call('GET', '/api/v0/hosts')).json().map((h: any) => h.address), ['192.168.152.110']);
    assert.deepEqual((await s.call('GET', '/api/v0/networks')).json(), ['default']);
    assert.equal((await s.call('GET', '/api/v0/cluster/honeynut/upgrade')).status, 404, 'no upgrade was started');
    assert.equal((await s.call('GET', '/api/v0/secret/none')).status, 404);
  });

  it('creds read the key as the caller: without secrets/values it is 403', async () => {
    const r = await s.call('GET', '/api/v0/host/192.168.152.110/creds', undefined, VIEWER);
    assert.deepEqual([r.status, r.text], [403, 'Forbidden']);
    assert.equal((await s.call('GET', '/api/v0/host/192.168.152.110/creds')).json().ssh_priv_key, encodedKey('KEY'));
  });
});

describe('Commissaire door: failed logins', () => {
  let s: CommissaireServer;
  before(async () => {
    s = await startCommissaireServer({ commissaireListen: '127.0.0.1:0', loginLimits: { maxFailures: 3 } });
  });
  after(async () => {
    await s.close();
  });

  it('an address locked out after repeated failures gets 429 with Retry-After, as at the native door', async () => {
    let r: Awaited<ReturnType<CommissaireServer['call']>> | undefined;
    for (let i = 0; i < 10 && r?.status !== 429; i++) r = await s.call('GET', '/api/v0/clusters', undefined, { user: ADMIN.user, password: 'wrong' });
    assert.equal(r?.status, 429);
    assert.match(r.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
  });
});
