// Bad input: every kind of bad request gets its reason in the error envelope, a message that
// says what was wrong, no stack trace, and changes nothing in the store.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { http } from '../helpers.js';
import { assertError, createService, raw, send, serviceSpec, storeRevision, useApiServer } from './support.js';

describe('bad input', () => {
  const s = useApiServer();
  before(async () => {
    await createService(s.url, 'existing');
  });

  /** Runs a bad request and asserts that the store's revision did not move. */
  async function changesNothing<T>(request: () => Promise<T>): Promise<T> {
    const rev = await storeRevision(s.url);
    const existing = (await http(`${s.api}/services/existing`)).json();
    const result = await request();
    assert.equal(await storeRevision(s.url), rev, 'the store changed');
    assert.deepEqual((await http(`${s.api}/services/existing`)).json(), existing);
    return result;
  }

  for (const [what, body] of [
    ['truncated JSON', '{"metadata": {"name": "x"'],
    ['a trailing comma', '{"metadata": {"name": "x"},}'],
    ['single quotes', "{'metadata': {}}"],
    ['an empty body', ''],
    ['whitespace only', '  \n'],
    ['an array', '[{"metadata": {"name": "x"}}]'],
    ['a string', '"service"'],
    ['null', 'null'],
  ]) {
    it(`POST with ${what} answers 400 BadRequest`, async () => {
      await changesNothing(async () => assertError(await http(`${s.api}/services`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }), 400, 'BadRequest'));
    });
  }

  it('PUT with malformed JSON answers 400 and leaves the object as it was', async () => {
    const err = await changesNothing(async () => assertError(await send(`${s.api}/services/existing`, 'PUT', '{"spec": {"replicas": 3'), 400, 'BadRequest', 'malformed JSON'));
    assert.doesNotMatch(err.message, /SyntaxError/);
  });

  it('schema violations and unknown fields answer 422 Invalid listing each bad field with its JSON path', async () => {
    const body = {
      colour: 'red',
      metadata: { name: 'bad-fields', nickname: 'x', labels: { ok: 'yes', 'bad key!': 'v', long: 'v'.repeat(300) } },
      spec: {
        replicas: -1,
        strategy: 'random',
        desiredState: 'sleeping',
        surprise: true,
        template: { command: 'sleep 1', env: { GOOD: 'x' }, resources: { cpu: 'lots' }, ports: [{ port: 70000 }] },
        update: { maxSurge: '10 percent' },
      },
    };
    const err = await changesNothing(async () => assertError(await send(`${s.api}/services`, 'POST', body), 422, 'Invalid'));
    const paths = err.details!.map((d) => d.path).sort();
    assert.deepEqual(paths, [
      '/colour',
      '/metadata/nickname',
      '/spec/desiredState',
      '/spec/replicas',
      '/spec/strategy',
      '/spec/surprise',
      '/spec/template/command',
      '/spec/template/ports/0/port',
      '/spec/template/resources/cpu',
      '/spec/update/maxSurge',
    ]);
    for (const d of err.details!) assert.ok(d.message.length > 0, JSON.stringify(d));
    assert.equal(err.details!.find((d) => d.path === '/colour')!.message, 'unknown field');
    assert.match(err.message, /^invalid object: .+ \(and 9 more\)$/);
  });

  it('rules the schema cannot say are reported with their paths too', async () => {
    const body = {
      metadata: { name: 'bad-rules', labels: { 'bad key!': 'v', long: 'v'.repeat(300) } },
      spec: { replicas: 2, global: true, template: { driver: 'exec', env: { '1BAD': 'x' } } },
    };
    const err = await changesNothing(async () => assertError(await send(`${s.api}/services`, 'POST', body), 422, 'Invalid'));
    const paths = err.details!.map((d) => d.path).sort();
    for (const p of ['/metadata/labels/bad key!', '/metadata/labels/long', '/spec/replicas', '/spec/template', '/spec/template/command', '/spec/template/env/1BAD']) {
      assert.ok(paths.includes(p), `${p} missing from ${JSON.stringify(paths)}`);
    }
  });

  it('a body over 1 MiB answers 413 PayloadTooLarge (JSON and YAML)', async () => {
    const big = 'x'.repeat(1024 * 1024 + 10);
    await changesNothing(async () => {
      assertError(await send(`${s.api}/services`, 'POST', { metadata: { name: 'big', annotations: { a: big } }, spec: serviceSpec() }), 413, 'PayloadTooLarge', '1 MiB');
      assertError(await http(`${s.api}/services/big`, { method: 'PUT', headers: { 'content-type': 'application/yaml' }, body: `metadata: {annotations: {a: ${big}}}` }), 413, 'PayloadTooLarge');
    });
    assert.equal((await http(`${s.api}/services/big`)).status, 404);
  });

  for (const [type, body] of [
    ['text/plain', '{"metadata":{"name":"ct"}}'],
    ['application/x-www-form-urlencoded', 'metadata.name=ct'], // what curl -d sends
    ['application/xml', '<service name="ct"/>'],
    ['multipart/form-data; boundary=x', '--x\r\n\r\nhi\r\n--x--'],
  ]) {
    it(`Content-Type ${type} answers 415 UnsupportedMediaType naming it`, async () => {
      await changesNothing(async () => assertError(await http(`${s.api}/services`, { method: 'POST', headers: { 'content-type': type }, body }), 415, 'UnsupportedMediaType', `"${type.split(';')[0]}"`, 'application/json'));
    });
  }

  it('a body without a Content-Type answers 415', async () => {
    await changesNothing(async () => assertError(await raw(s.url, 'POST', '/api/v1/services', '{"metadata":{"name":"ct"}}', {}), 415, 'UnsupportedMediaType'));
  });

  for (const path of ['/api/v1/nope', '/api/v2/services', '/nope', '/api/v1/services/existing/nope', '/api/v1/services/existing/status/extra', '/API/V1/SERVICES']) {
    it(`an unknown route (${path}) answers 404 with the error envelope`, async () => {
      await changesNothing(async () => {
        assertError(await http(`${s.url}${path}`), 404, 'NotFound', path);
        assertError(await send(`${s.url}${path}`, 'POST', { metadata: { name: 'x' } }), 404, 'NotFound');
      });
    });
  }

  for (const [method, path, allow] of [
    ['DELETE', '/api/v1/services', 'GET, POST, HEAD'],
    ['PUT', '/api/v1/services', 'GET, POST, HEAD'],
    ['POST', '/api/v1/services/existing', 'GET, PUT, PATCH, DELETE, HEAD'],
    ['DELETE', '/api/v1/services/existing/status', 'GET, PUT, PATCH, HEAD'],
    ['POST', '/api/v1/system/version', 'GET, HEAD'],
    ['DELETE', '/api', 'GET, HEAD'],
    ['POST', '/healthz', 'GET, HEAD'],
  ]) {
    it(`${method} ${path} answers 405 with Allow: ${allow}`, async () => {
      const res = await changesNothing(() => send(`${s.url}${path}`, method, method === 'DELETE' ? undefined : { metadata: { name: 'x' } }));
      assertError(res, 405, 'MethodNotAllowed', method);
      assert.equal(res.headers.get('allow'), allow);
    });
  }

  it('OPTIONS answers 204 with the Allow header', async () => {
    const res = await http(`${s.api}/services/existing`, { method: 'OPTIONS' });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('allow'), 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS');
  });

  it('a URL with broken percent-encoding answers 400 with the error envelope', async () => {
    await changesNothing(async () => assertError(await raw(s.url, 'PUT', '/api/v1/services/a%ZZ', JSON.stringify({ spec: serviceSpec() })), 400, 'BadRequest', 'URL'));
  });

  it('errors never leak stack traces or source paths, even for a failure inside the store layer', async () => {
    // A page token for a snapshot the server never had reaches the store's range read.
    const token = Buffer.from(JSON.stringify({ r: 10_000_000, k: 'a' })).toString('base64url');
    assertError(await http(`${s.api}/services?limit=1&pageToken=${token}`), 400, 'BadRequest', 'pageToken');
  });
});
