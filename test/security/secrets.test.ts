// Secrets through the native API: values sealed before the store sees them, shown only with
// ?showValues=true to a caller allowed secrets/values, delivered to a task's agent through
// tasks/secrets, and a key rotation that leaves every secret readable.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { http, tempDir } from '../helpers.js';
import { admin, as, startTestApp, tableAuthorizer, type TestApp } from './test-app.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const viewer = as('vic', 'viewers');
const node = as('node-1', 'nodes');

/** A value no other part of the test (or the server) could produce by chance. */
const marker = () => `s3cr3t-${randomBytes(8).toString('hex')}`;

const authorizer = tableAuthorizer({
  viewers: ['get secrets', 'list secrets', 'watch secrets', 'get tasks', 'list tasks'],
  nodes: ['get tasks', 'get tasks/secrets'],
});

function post(t: TestApp, path: string, body: unknown, headers = admin) {
  return http(`${t.api}/${path}`, { method: 'POST', headers: { ...headers, ...JSON_TYPE }, body: JSON.stringify(body) });
}

function get(t: TestApp, path: string, headers = admin) {
  return http(`${t.api}/${path}`, { headers });
}

describe('secrets', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ authorizer });
  });
  after(() => t.close());

  test('the key file is created 0600 on first start', () => {
    const mode = statSync(join(t.dir, 'secrets.key')).mode & 0o777;
    assert.equal(mode, 0o600);
  });

  test('create, GET, list and watch show <redacted>, never the value', async () => {
    const value = marker();
    const created = await post(t, 'secrets', { metadata: { name: 'db' }, spec: { data: { password: value, user: 'app' } } });
    assert.equal(created.status, 201, created.text);
    assert.ok(!created.text.includes(value));
    assert.deepEqual(created.json().spec.data, { password: '<redacted>', user: '<redacted>' });
    assert.match(created.json().spec.encryptedData, /^aesgcm:key1-[0-9a-f]{8}:/);
    for (const path of ['secrets/db', 'secrets', 'secrets/db?showValues=false']) {
      const res = await get(t, path, viewer);
      assert.equal(res.status, 200, res.text);
      assert.ok(!res.text.includes(value) && !res.text.includes('app"'), `${path} shows a value: ${res.text}`);
      assert.ok(res.text.includes('<redacted>'));
    }
    const watch = await fetch(`${t.api}/secrets?watch=true`, { headers: viewer });
    const reader = watch.body!.getReader();
    let seen = '';
    while (!seen.includes('BOOKMARK')) seen += Buffer.from((await reader.read()).value!).toString();
    await reader.cancel();
    assert.ok(seen.includes('"name":"db"') && seen.includes('<redacted>') && !seen.includes(value), seen);
    const watchValues = await get(t, 'secrets?watch=true&showValues=true');
    assert.equal(watchValues.status, 400);
  });

  test('showValues=true shows the values to a caller allowed secrets/values, 403 to one who is not', async () => {
    const value = marker();
    assert.equal((await post(t, 'secrets', { metadata: { name: 'api-key' }, spec: { data: { token: value } } })).status, 201);
    const shown = await get(t, 'secrets/api-key?showValues=true');
    assert.equal(shown.status, 200, shown.text);
    assert.deepEqual(shown.json().spec.data, { token: value });
    assert.equal(shown.json().spec.encryptedData, undefined);
    assert.equal(shown.headers.get('cache-control'), 'no-store');
    const listed = await get(t, 'secrets?showValues=true');
    assert.deepEqual(listed.json().items.find((s: any) => s.metadata.name === 'api-key').spec.data, { token: value });

    for (const path of ['secrets/api-key?showValues=true', 'secrets?showValues=true']) {
      const denied = await get(t, path, viewer);
      assert.equal(denied.status, 403, denied.text);
      assert.match(denied.json().error.message, /secrets\/values/);
      assert.ok(!denied.text.includes(value));
    }
  });

  test('a PUT of GET output keeps the values and changes nothing; a new value is sealed again', async () => {
    const value = marker();
    await post(t, 'secrets', { metadata: { name: 'roundtrip' }, spec: { data: { a: value, b: 'two' } } });
    const got = (await get(t, 'secrets/roundtrip')).json();
    const put = await http(`${t.api}/secrets/roundtrip`, { method: 'PUT', headers: { ...admin, ...JSON_TYPE }, body: JSON.stringify(got) });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json().metadata.revision, got.metadata.revision, 'a PUT of GET output wrote something');
    const patched = await http(`${t.api}/secrets/roundtrip`, {
      method: 'PATCH',
      headers: { ...admin, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ spec: { data: { b: 'changed', c: 'new' } } }),
    });
    assert.equal(patched.status, 200, patched.text);
    assert.notEqual(patched.json().spec.encryptedData, got.spec.encryptedData);
    assert.deepEqual((await get(t, 'secrets/roundtrip?showValues=true')).json().spec.data, { a: value, b: 'changed', c: 'new' });
  });

  test('ciphertext sent by a client is ignored: it never opens as another secret', async () => {
    const value = marker();
    await post(t, 'secrets', { metadata: { name: 'victim' }, spec: { data: { v: value } } });
    const stolen = (await get(t, 'secrets/victim')).json().spec.encryptedData;
    const copy = await post(t, 'secrets', { metadata: { name: 'thief' }, spec: { data: {}, encryptedData: stolen } });
    assert.equal(copy.status, 201, copy.text);
    assert.notEqual(copy.json().spec.encryptedData, stolen);
    assert.deepEqual((await get(t, 'secrets/thief?showValues=true')).json().spec.data, {});
  });

  const badInputs: { what: string; body: unknown; code: number; mentions: string }[] = [
    { what: 'a value that is not a string', body: { metadata: { name: 'bad1' }, spec: { data: { n: 5 } } }, code: 422, mentions: '/spec/data/n' },
    { what: 'a key with a slash', body: { metadata: { name: 'bad2' }, spec: { data: { 'a/b': 'x' } } }, code: 422, mentions: '/spec/data/a~1b' },
    { what: 'the key ".."', body: { metadata: { name: 'bad3' }, spec: { data: { '..': 'x' } } }, code: 422, mentions: '/spec/data/..' },
    { what: 'values over the size limit', body: { metadata: { name: 'bad4' }, spec: { data: { a: 'x'.repeat(200_000), b: 'y'.repeat(200_000) } } }, code: 422, mentions: 'limit' },
    { what: 'a body over the request limit', body: { metadata: { name: 'bad5' }, spec: { data: { a: 'x'.repeat(2 * 1024 * 1024) } } }, code: 413, mentions: 'limit' },
    { what: '<redacted> for a key without a value', body: { metadata: { name: 'bad6' }, spec: { data: { a: '<redacted>' } } }, code: 422, mentions: 'placeholder' },
    { what: 'data that is not an object', body: { metadata: { name: 'bad7' }, spec: { data: ['x'] } }, code: 422, mentions: '/spec/data' },
  ];
  for (const c of badInputs) {
    test(`${c.what} answers ${c.code} and creates nothing`, async () => {
      const res = await post(t, 'secrets', c.body);
      assert.equal(res.status, c.code, res.text);
      assert.ok(res.text.includes(c.mentions), res.text);
      const name = (c.body as { metadata: { name: string } }).metadata.name;
      assert.equal((await get(t, `secrets/${name}`)).status, 404);
    });
  }

  test('the agent of a task gets the values it refers to; missing ones are 404 naming them; others get 403', async () => {
    const value = marker();
    await post(t, 'secrets', { metadata: { name: 'app-db' }, spec: { data: { pass: value, user: 'app' } } });
    const task = (name: string, template: Record<string, unknown>) =>
      post(t, 'tasks', { metadata: { name }, spec: { machine: 'm1', template: { command: ['true'], ...template } } });
    assert.equal((await task('uses', { env: [{ name: 'PASS', secretKeyRef: { secret: 'app-db', key: 'pass' } }, { name: 'PLAIN', value: 'x' }], secrets: [{ secret: 'app-db' }] })).status, 201);
    assert.equal((await task('plain', { env: { A: 'b' } })).status, 201);
    assert.equal((await task('missing-key', { env: [{ name: 'X', secretKeyRef: { secret: 'app-db', key: 'nope' } }] })).status, 201);
    assert.equal((await task('missing-secret', { secrets: [{ secret: 'nowhere', path: 'conf/db' }] })).status, 201);

    const got = await get(t, 'tasks/uses/secrets', node);
    assert.equal(got.status, 200, got.text);
    assert.deepEqual(got.json().env, { PASS: value });
    assert.deepEqual(got.json().files, [{ path: 'app-db', data: { pass: value, user: 'app' } }]);
    assert.deepEqual((await get(t, 'tasks/plain/secrets', node)).json().env, {});
    const noKey = await get(t, 'tasks/missing-key/secrets', node);
    assert.equal(noKey.status, 404);
    assert.match(noKey.json().error.message, /secret "app-db" has no key "nope" \(env X/);
    assert.ok(!noKey.text.includes(value));
    const noSecret = await get(t, 'tasks/missing-secret/secrets', node);
    assert.equal(noSecret.status, 404);
    assert.match(noSecret.json().error.message, /secret "nowhere" not found/);

    const denied = await get(t, 'tasks/uses/secrets', viewer);
    assert.equal(denied.status, 403);
    assert.ok(!denied.text.includes(value));
    // The values never enter the task itself.
    assert.ok(!(await get(t, 'tasks/uses')).text.includes(value));
  });

  test('bad secret references in a template answer 422 and create nothing', async () => {
    const cases = [
      { env: [{ name: 'A', value: 'x', secretKeyRef: { secret: 's', key: 'k' } }] },
      { env: [{ name: 'A' }] },
      { env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] },
      { env: [{ name: 'A', secretKeyRef: { secret: 'a/b', key: 'k' } }] },
      { secrets: [{ secret: 's', path: '../escape' }] },
      { secrets: [{ secret: 's', path: '/etc' }] },
      { secrets: [{ secret: 's' }, { secret: 's' }] },
    ];
    for (const [i, template] of cases.entries()) {
      const res = await post(t, 'tasks', { metadata: { name: `bad-ref-${i}` }, spec: { template: { command: ['true'], ...template } } });
      assert.equal(res.status, 422, `${JSON.stringify(template)}: ${res.text}`);
      assert.equal((await get(t, `tasks/bad-ref-${i}`)).status, 404);
    }
  });
});

describe('secrets at rest', () => {
  test('no value is in the SQLite file, its WAL, or the server log; rotate-key and a restart keep them readable', async () => {
    const dir = tempDir('drover-secrets-rest-');
    const value = marker();
    let t = await startTestApp({ authorizer, dir });
    try {
      for (let i = 0; i < 5; i++) {
        const res = await post(t, 'secrets', { metadata: { name: `s${i}` }, spec: { data: { value: `${value}-${i}` } } });
        assert.equal(res.status, 201, res.text);
      }
      assert.equal((await get(t, 'secrets/s0?showValues=true')).json().spec.data.value, `${value}-0`);
      const rawBytes = () =>
        ['state.db', 'state.db-wal']
          .filter((f) => existsSync(join(dir, f)))
          .map((f) => readFileSync(join(dir, f)))
          .reduce((a, b) => Buffer.concat([a, b]), Buffer.alloc(0));
      assert.ok(rawBytes().length > 0);
      // The key name is stored in the clear (GET lists it), which proves the bytes read are the right ones.
      assert.ok(rawBytes().includes('"value":"<redacted>"'), 'the secrets are not in the bytes read');
      assert.equal(rawBytes().indexOf(value), -1, 'a secret value is in the SQLite file in plain text');

      const denied = await http(`${t.api}/system/secret-keys/rotate`, { method: 'POST', headers: { ...viewer, ...JSON_TYPE }, body: '{}' });
      assert.equal(denied.status, 403);
      const [first] = t.keyring.keyIds;
      assert.match(first!, /^key1-/);
      assert.equal(t.keyring.keyIds.length, 1);
      const rotated = await http(`${t.api}/system/secret-keys/rotate`, { method: 'POST', headers: { ...admin, ...JSON_TYPE }, body: '{}' });
      assert.equal(rotated.status, 200, rotated.text);
      const rotation = rotated.json();
      assert.match(rotation.keyId, /^key2-/);
      assert.deepEqual({ resealed: rotation.resealed, retiredKeys: rotation.retiredKeys }, { resealed: 5, retiredKeys: [first] });
      for (let i = 0; i < 5; i++) {
        const s = (await get(t, `secrets/s${i}`)).json();
        assert.match(s.spec.encryptedData, /^aesgcm:key2-[0-9a-f]{8}:/);
      }
      assert.equal(statSync(join(dir, 'secrets.key')).mode & 0o777, 0o600);
      assert.ok(!readFileSync(join(dir, 'secrets.key'), 'utf8').includes(`"${first}"`), 'the old key was not retired');
      assert.equal(t.log().indexOf(value), -1, 'a secret value is in the server log');
      await t.close();
      t = await startTestApp({ authorizer, dir });
      assert.equal((await get(t, 'secrets/s3?showValues=true')).json().spec.data.value, `${value}-3`);
      assert.equal(rawBytes().indexOf(value), -1, 'a secret value is in the SQLite file in plain text');
      assert.equal(t.log().indexOf(value), -1, 'a secret value is in the server log');
    } finally {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
