// Authentication over real TLS connections: every way in resolves to a principal or to 401,
// only the open endpoints answer strangers, and failed logins are limited per address.
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCa, issueCertificate } from '../../src/security/pki.js';
import { startTestServer, tempDir, until, type TestServer } from '../helpers.js';
import { basic, bearer, curlStatus, hasCurl, raw } from './tls.js';

describe('authentication over TLS', () => {
  let s: TestServer;
  let ca: string;
  let admin: string;
  let socket: string;
  before(async () => {
    socket = join(tempDir('drover-sock-'), 'api.sock');
    s = await startTestServer({ auth: true, tls: true, socket, loginLimits: { maxFailures: 1000 } });
    ca = s.server.caCert!;
    admin = s.server.adminToken!;
  });
  after(async () => {
    await s.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => raw(s.url + path, { ca, headers });

  it('serves HTTPS with a certificate from the cluster CA', () => {
    assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers /healthz, /readyz and GET /api to anyone, and 401 with WWW-Authenticate and the error envelope elsewhere', async () => {
    for (const path of ['/healthz', '/readyz', '/api']) assert.equal((await get(path)).status, 200, path);
    for (const path of ['/api/v1', '/api/v1/services', '/metrics', '/openapi.json', '/api/v1/system/version', '/fleet/v1/units']) {
      const r = await get(path);
      assert.equal(r.status, 401, path);
      assert.equal(r.headers['www-authenticate'], 'Bearer realm="drover", Basic realm="drover"');
      // fleet's door answers in fleet's shape; the native API in the envelope.
      if (!path.startsWith('/fleet')) assert.equal(r.json().error.reason, 'Unauthorized');
    }
    const post = await raw(`${s.url}/api/v1/tasks`, { ca, method: 'POST', body: JSON.stringify({ spec: { template: { command: ['id'] } } }) });
    assert.equal(post.status, 401);
    assert.equal((await raw(`${s.url}/api/v1/tasks`, { ca, headers: bearer(admin) })).json().items.length, 0, 'the refused POST created nothing');
  });

  it('a bearer token is the user it was made for; wrong, expired and revoked tokens get 401', async () => {
    assert.equal((await get('/api/v1/services', bearer(admin))).status, 200);
    assert.equal((await get('/metrics', bearer(admin))).status, 200, 'an administrator may read metrics');
    const made = await raw(`${s.url}/api/v1/tokens`, { ca, method: 'POST', headers: bearer(admin), body: JSON.stringify({ user: 'ann', groups: ['ops'] }) });
    assert.equal(made.status, 201);
    const ann = made.json().token as string;
    const forbidden = await get('/metrics', bearer(ann));
    assert.equal(forbidden.status, 403, 'ann is authenticated, and the authorizer decides');
    assert.match(forbidden.json().error.message, /^user "ann" cannot get metrics/);

    assert.equal((await get('/api/v1/services', bearer(`${admin.slice(0, -4)}0000`))).status, 401, 'a wrong secret');
    assert.equal((await get('/api/v1/services', bearer('nonsense'))).status, 401, 'not a token at all');

    const short = await raw(`${s.url}/api/v1/tokens`, { ca, method: 'POST', headers: bearer(admin), body: JSON.stringify({ user: 'admin', groups: ['system:administrators'], ttlSeconds: 0.2 }) });
    const shortToken = short.json().token as string;
    assert.ok(short.json().expiresAt);
    await until(async () => (await get('/api/v1/services', bearer(shortToken))).status === 401, 'the short token to expire', 5_000);
    assert.match((await get('/api/v1/services', bearer(shortToken))).json().error.message, /expired/);

    const revocable = (await raw(`${s.url}/api/v1/tokens`, { ca, method: 'POST', headers: bearer(admin), body: JSON.stringify({ user: 'admin', groups: ['system:administrators'] }) })).json();
    assert.equal((await get('/api/v1/services', bearer(revocable.token))).status, 200);
    assert.equal((await raw(`${s.url}/api/v1/tokens/${revocable.name}`, { ca, method: 'DELETE', headers: bearer(admin) })).status, 200);
    assert.equal((await get('/api/v1/services', bearer(revocable.token))).status, 401, 'revoked');
  });

  it('never shows a token hash or a password hash, in lists or in the answer that made them', async () => {
    const user = await raw(`${s.url}/api/v1/users`, { ca, method: 'POST', headers: bearer(admin), body: JSON.stringify({ name: 'hashless', password: 'long-enough-1' }) });
    assert.equal(user.status, 201);
    const texts = [user.text, (await get('/api/v1/tokens', bearer(admin))).text, (await get('/api/v1/users', bearer(admin))).text];
    for (const t of texts) assert.doesNotMatch(t, /secretHash|passwordHash|scrypt\$/);
    // And the generic routes do not serve these kinds at all.
    assert.equal((await get('/api/v1/tokens/whatever', bearer(admin))).status, 405);
  });

  it('HTTP basic: a user added through the API logs in with its password; a wrong password or a deleted user gets 401', async () => {
    const add = await raw(`${s.url}/api/v1/users`, { ca, method: 'POST', headers: bearer(admin), body: JSON.stringify({ name: 'bob', password: 'correct horse', groups: ['system:administrators'] }) });
    assert.equal(add.status, 201, add.text);
    assert.equal((await get('/api/v1/services', basic('bob', 'correct horse'))).status, 200);
    assert.equal((await get('/api/v1/services', basic('bob', 'correct horse'))).status, 200, 'again (from the memo of verified passwords)');
    assert.equal((await get('/api/v1/services', basic('bob', 'wrong horse'))).status, 401);
    assert.equal((await get('/api/v1/services', basic('nobody', 'correct horse'))).status, 401);
    const passwd = await raw(`${s.url}/api/v1/users/bob/password`, { ca, method: 'PUT', headers: bearer(admin), body: JSON.stringify({ password: 'battery staple' }) });
    assert.equal(passwd.status, 200);
    assert.equal((await get('/api/v1/services', basic('bob', 'correct horse'))).status, 401, 'the old password no longer works');
    assert.equal((await get('/api/v1/services', basic('bob', 'battery staple'))).status, 200);
    assert.equal((await raw(`${s.url}/api/v1/users/bob`, { ca, method: 'DELETE', headers: bearer(admin) })).status, 200);
    assert.equal((await get('/api/v1/services', basic('bob', 'battery staple'))).status, 401, 'deleted');
    const tooShort = await raw(`${s.url}/api/v1/users`, { ca, method: 'POST', headers: bearer(admin), body: JSON.stringify({ name: 'c', password: 'short' }) });
    assert.equal(tooShort.status, 422);
  });

  it('a client certificate from the cluster CA is its CN in the groups of its O; one from another CA gets 401', async () => {
    const pki = s.server.pki;
    const carol = await issueCertificate(pki.ca, { commonName: 'carol', organizations: ['system:administrators'], usage: 'client', days: 1 });
    const ok = await raw(`${s.url}/api/v1/services`, { ca, cert: carol.cert, key: carol.key });
    assert.equal(ok.status, 200);
    const dave = await issueCertificate(pki.ca, { commonName: 'dave', organizations: ['ops'], usage: 'client', days: 1 });
    const daveMetrics = await raw(`${s.url}/metrics`, { ca, cert: dave.cert, key: dave.key });
    assert.equal(daveMetrics.status, 403);
    assert.match(daveMetrics.json().error.message, /^user "dave" cannot get metrics/);
    const otherCa = await createCa('not-the-cluster');
    const mallory = await issueCertificate(otherCa, { commonName: 'mallory', organizations: ['system:administrators'], usage: 'client', days: 1 });
    assert.equal((await raw(`${s.url}/api/v1/services`, { ca, cert: mallory.cert, key: mallory.key })).status, 401);
  });

  it('the unix socket (mode 0660) makes its peer an administrator without credentials', async () => {
    assert.equal(statSync(socket).mode & 0o777, 0o660);
    const r = await raw('http://localhost/api/v1/services', { socketPath: socket });
    assert.equal(r.status, 200);
    assert.equal((await raw('http://localhost/fleet/v1/machines', { socketPath: socket })).status, 200, 'fleetctl\'s way in');
  });

  it('curl with the CA and a token gets in; without the token 401; without the CA the handshake fails', async (t) => {
    if (!hasCurl) return t.skip('curl is not installed');
    const caFile = join(tempDir(), 'ca.crt');
    writeFileSync(caFile, ca);
    assert.equal(await curlStatus(['--cacert', caFile, '-H', `Authorization: Bearer ${admin}`, `${s.url}/api/v1/services`]), '200');
    assert.equal(await curlStatus(['--cacert', caFile, `${s.url}/api/v1/services`]), '401');
    assert.equal(await curlStatus(['--cacert', caFile, `${s.url}/healthz`]), '200');
    assert.equal(await curlStatus([`${s.url}/healthz`]), '000', 'the cluster CA is not one curl trusts by itself');
  });
});

describe('failed logins', () => {
  it('after N failures from one address, further attempts get 429 with Retry-After, good credentials included', async () => {
    const s = await startTestServer({ auth: true, tls: true, loginLimits: { maxFailures: 3, windowMs: 60_000 } });
    try {
      const ca = s.server.caCert!;
      const get = (headers: Record<string, string>) => raw(`${s.url}/api/v1/services`, { ca, headers });
      for (let i = 0; i < 3; i++) assert.equal((await get(bearer('drover.0000000000000000.' + '0'.repeat(64)))).status, 401);
      const limited = await get(bearer(s.server.adminToken!));
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers['retry-after']) > 0);
      assert.equal(limited.json().error.reason, 'TooManyRequests');
      assert.equal((await raw(`${s.url}/healthz`, { ca })).status, 200, 'the open endpoints still answer');
    } finally {
      await s.close();
    }
  });
});
