// Names: 1–256 characters of A-Z a-z 0-9 - _ . : @ \ (systemd unit names fit), never . or ..,
// never a path trick. Labels: keys of A-Z a-z 0-9 . _ / -, free-text values up to 256.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { http } from '../helpers.js';
import { assertError, raw, send, serviceSpec, storeRevision, useApiServer } from './support.js';

describe('names', () => {
  const s = useApiServer();

  async function objectCount(): Promise<number> {
    let n = 0;
    for (const plural of ['machines', 'services', 'tasks']) n += (await http(`${s.api}/${plural}`)).json().items.length;
    return n;
  }

  // Sent on the wire exactly as written (fetch would resolve the dot segments itself).
  for (const [what, segment] of [
    ['..', '..'],
    ['.', '.'],
    ['%2E%2E', '%2E%2E'],
    ['%2e', '%2e'],
    ['an encoded slash', 'a%2Fb'],
    ['an encoded traversal', '..%2F..%2Fetc%2Fpasswd'],
    ['NUL', 'a%00b'],
    ['a newline', 'a%0Ab'],
    ['a carriage return', 'web%0D'],
    ['DEL', 'a%7F'],
    ['a space', 'a%20b'],
    ['a non-ASCII letter', 'caf%C3%A9'],
    ['257 characters', 'a'.repeat(257)],
    ['2,000 characters', 'a'.repeat(2000)],
  ]) {
    it(`a name in the URL with ${what} is rejected with 400 and nothing is created`, async () => {
      const rev = await storeRevision(s.url);
      const count = await objectCount();
      const path = `/api/v1/services/${segment}`;
      const put = await raw(s.url, 'PUT', path, JSON.stringify({ spec: serviceSpec() }));
      assert.ok(put.status === 400 || put.status === 404, `PUT ${path}: ${put.status} ${put.text}`);
      assertError(put, put.status, put.status === 400 ? 'BadRequest' : 'NotFound');
      const status = await raw(s.url, 'PUT', `${path}/status`, JSON.stringify({ status: {} }));
      assert.ok(status.status === 400 || status.status === 404, `PUT ${path}/status: ${status.status}`);
      const get = await raw(s.url, 'GET', path);
      assert.ok(get.status === 400 || get.status === 404, `GET ${path}: ${get.status}`);
      assert.equal(await storeRevision(s.url), rev);
      assert.equal(await objectCount(), count);
    });
  }

  for (const [what, name] of [
    ['..', '..'],
    ['.', '.'],
    ['a slash', 'a/b'],
    ['a traversal', '../../etc/passwd'],
    ['NUL', 'a\u0000b'],
    ['a newline', 'a\nb'],
    ['a tab', 'a\tb'],
    ['a space', 'a b'],
    ['a percent sign', 'a%2Fb'],
    ['non-ASCII', 'café'],
    ['the empty string', ''],
    ['257 characters', 'a'.repeat(257)],
  ]) {
    it(`metadata.name with ${what} answers 422 naming /metadata/name and creates nothing`, async () => {
      const rev = await storeRevision(s.url);
      const err = assertError(await send(`${s.api}/services`, 'POST', { metadata: { name }, spec: serviceSpec() }), 422, 'Invalid');
      assert.deepEqual(err.details?.map((d) => d.path), ['/metadata/name']);
      assert.doesNotMatch(err.message, /[\x00-\x08\x0a-\x1f]/, 'control characters are not echoed back');
      assert.equal(await storeRevision(s.url), rev);
    });
  }

  for (const name of ['web@1.service', 'dev-disk-by\\x2duuid.device', 'a:b', '0123456789abcdef0123456789abcdef', '_x', '...', 'a..b', 'A'.repeat(256)]) {
    it(`the name ${JSON.stringify(name.length > 40 ? `${name.slice(0, 8)}…(${name.length})` : name)} is accepted and addressable`, async () => {
      const res = await send(`${s.api}/machines`, 'POST', { metadata: { name } });
      assert.equal(res.status, 201, res.text);
      const got = await http(new URL(res.headers.get('location')!, s.url).href);
      assert.equal(got.status, 200, got.text);
      assert.equal(got.json().metadata.name, name);
      assert.equal((await http(`${s.api}/machines/${encodeURIComponent(name)}`, { method: 'DELETE' })).status, 200);
    });
  }

  it('generateName must be a valid name prefix', async () => {
    const rev = await storeRevision(s.url);
    const err = assertError(await send(`${s.api}/services`, 'POST', { metadata: { generateName: '../' }, spec: serviceSpec() }), 422, 'Invalid');
    assert.deepEqual(err.details?.map((d) => d.path), ['/metadata/generateName']);
    assert.equal(await storeRevision(s.url), rev);
  });

  it('a generated name that another create took meanwhile is drawn again, not answered with 409', async () => {
    assert.equal((await send(`${s.api}/services`, 'POST', { metadata: { name: 'drawn-taken' }, spec: serviceSpec() })).status, 201);
    // Two creates in flight can draw the same name before either is written; force that draw.
    const repo = s.server.state.resources('services');
    const real = repo.generateName.bind(repo);
    const draws = ['drawn-taken', 'drawn-taken'];
    repo.generateName = (prefix: string) => draws.shift() ?? real(prefix);
    try {
      const res = await send(`${s.api}/services`, 'POST', { metadata: { generateName: 'drawn-' }, spec: serviceSpec() });
      assert.equal(res.status, 201, res.text);
      assert.match(res.json().metadata.name, /^drawn-[a-z0-9]{5}$/);
      assert.notEqual(res.json().metadata.name, 'drawn-taken');
      assert.equal(draws.length, 0, 'it drew again after each collision');
      // A name the client chose is its own: a collision stays a 409.
      assertError(await send(`${s.api}/services`, 'POST', { metadata: { name: 'drawn-taken' }, spec: serviceSpec() }), 409, 'AlreadyExists');
    } finally {
      repo.generateName = real;
    }
  });

  it('label values are free text up to 256 characters; keys are restricted', async () => {
    const free = { 'fleet.example/role': 'web server, "front" tier: ünïcode ok', empty: '', max: 'v'.repeat(256) };
    const ok = await send(`${s.api}/machines`, 'POST', { metadata: { name: 'labelled', labels: free } });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.json().metadata.labels, free);

    const rev = await storeRevision(s.url);
    const bad = await send(`${s.api}/machines`, 'POST', { metadata: { name: 'bad-labels', labels: { 'sp ace': 'x', '': 'x', long: 'v'.repeat(257), ['k'.repeat(254)]: 'x' } } });
    const err = assertError(bad, 422, 'Invalid');
    assert.deepEqual(err.details?.map((d) => d.path).sort(), ['/metadata/labels/', `/metadata/labels/${'k'.repeat(254)}`, '/metadata/labels/long', '/metadata/labels/sp ace']);
    assert.equal(await storeRevision(s.url), rev);
  });
});
