// PATCH: JSON merge patch (RFC 7396) and JSON patch (RFC 6902), and what each rejects.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { http } from '../helpers.js';
import { assertError, createService, JSON_PATCH, MERGE, send, storeRevision, useApiServer } from './support.js';

describe('PATCH', () => {
  const s = useApiServer();

  /** Asserts the service is exactly as it was and the store wrote nothing. */
  async function assertUnchanged(name: string, before: unknown, revision: number): Promise<void> {
    assert.deepEqual((await http(`${s.api}/services/${name}`)).json(), before);
    assert.equal(await storeRevision(s.url), revision);
  }

  it('a merge patch sets fields, deletes them with null, and keeps the rest', async () => {
    await createService(s.url, 'merge', { labels: { a: '1', b: '2' }, spec: { template: { command: ['x'], env: { K: 'v' } } } });
    const res = await send(`${s.api}/services/merge`, 'PATCH', { metadata: { labels: { b: null, c: '3' } }, spec: { replicas: 4, template: { env: null } } }, MERGE);
    assert.equal(res.status, 200, res.text);
    const obj = res.json();
    assert.deepEqual(obj.metadata.labels, { a: '1', c: '3' });
    assert.equal(obj.spec.replicas, 4);
    assert.deepEqual(obj.spec.template.command, ['x']);
    assert.equal(obj.spec.template.env, undefined);
    assert.equal(obj.metadata.generation, 2);
    assert.equal(res.headers.get('etag'), `"${obj.metadata.revision}"`);
    assert.deepEqual((await http(`${s.api}/services/merge`)).json(), obj);
  });

  it('a JSON patch applies its operations in order', async () => {
    await createService(s.url, 'jp');
    const res = await send(
      `${s.api}/services/jp`,
      'PATCH',
      [
        { op: 'test', path: '/spec/replicas', value: 1 },
        { op: 'replace', path: '/spec/replicas', value: 2 },
        { op: 'add', path: '/metadata/labels', value: { tier: 'web' } },
        { op: 'add', path: '/spec/template/command/-', value: 'extra' },
        { op: 'copy', from: '/spec/replicas', path: '/metadata/annotations' },
        { op: 'remove', path: '/metadata/annotations' },
      ],
      JSON_PATCH,
    );
    assert.equal(res.status, 200, res.text);
    const obj = res.json();
    assert.equal(obj.spec.replicas, 2);
    assert.deepEqual(obj.metadata.labels, { tier: 'web' });
    assert.deepEqual(obj.spec.template.command, ['sleep', '1000', 'extra']);
    assert.equal(obj.metadata.annotations, undefined);
  });

  it('a JSON patch whose test operation fails answers 409 Conflict and changes nothing', async () => {
    const before = await createService(s.url, 'jp-test');
    const rev = await storeRevision(s.url);
    const res = await send(
      `${s.api}/services/jp-test`,
      'PATCH',
      [
        { op: 'replace', path: '/spec/replicas', value: 5 },
        { op: 'test', path: '/spec/replicas', value: 7 },
      ],
      JSON_PATCH,
    );
    assertError(res, 409, 'Conflict', 'operation 1', 'test');
    await assertUnchanged('jp-test', before, rev);
  });

  for (const [i, [what, ops]] of ([
    ['an unknown op', [{ op: 'frobnicate', path: '/spec/replicas', value: 1 }]],
    ['a path that does not resolve', [{ op: 'replace', path: '/spec/nothing/here', value: 1 }]],
    ['an op without a value', [{ op: 'add', path: '/spec/replicas' }]],
  ] as const).entries()) {
    it(`a JSON patch with ${what} answers 422 Invalid and changes nothing`, async () => {
      const name = `jp-bad-${i}`;
      const before = await createService(s.url, name);
      const rev = await storeRevision(s.url);
      const err = assertError(await send(`${s.api}/services/${name}`, 'PATCH', ops, JSON_PATCH), 422, 'Invalid', 'operation 0');
      assert.equal(err.details?.length, 1);
      await assertUnchanged(name, before, rev);
    });
  }

  it('a JSON patch that is not an array, or a merge patch that is not an object, answers 400', async () => {
    const before = await createService(s.url, 'shape');
    const rev = await storeRevision(s.url);
    assertError(await send(`${s.api}/services/shape`, 'PATCH', { op: 'add' }, JSON_PATCH), 400, 'BadRequest', 'array');
    assertError(await send(`${s.api}/services/shape`, 'PATCH', [1, 2], MERGE), 400, 'BadRequest', 'object');
    await assertUnchanged('shape', before, rev);
  });

  it('a patch that would make the object invalid answers 422 with the field paths and changes nothing', async () => {
    const before = await createService(s.url, 'invalid-result');
    const rev = await storeRevision(s.url);
    const merge = await send(`${s.api}/services/invalid-result`, 'PATCH', { spec: { replicas: -3, colour: 'blue' } }, MERGE);
    assert.deepEqual(assertError(merge, 422, 'Invalid').details?.map((d) => d.path).sort(), ['/spec/colour', '/spec/replicas']);
    const json = await send(`${s.api}/services/invalid-result`, 'PATCH', [{ op: 'remove', path: '/spec/template' }], JSON_PATCH);
    assert.deepEqual(assertError(json, 422, 'Invalid').details?.map((d) => d.path), ['/spec/template']);
    await assertUnchanged('invalid-result', before, rev);
  });

  for (const type of ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/yaml']) {
    it(`PATCH with Content-Type ${type} answers 415 and changes nothing`, async () => {
      const name = `ct-${type.replace(/[^a-z]/g, '')}`;
      const before = await createService(s.url, name);
      const rev = await storeRevision(s.url);
      const body = type === 'application/yaml' ? 'spec: {replicas: 3}' : type.includes('form') ? 'spec=1' : '{"spec":{"replicas":3}}';
      const err = assertError(await http(`${s.api}/services/${name}`, { method: 'PATCH', headers: { 'content-type': type }, body }), 415, 'UnsupportedMediaType');
      assert.match(err.message, /merge-patch\+json/);
      await assertUnchanged(name, before, rev);
    });
  }

  it('PATCH of a missing object answers 404 and creates nothing', async () => {
    const rev = await storeRevision(s.url);
    assertError(await send(`${s.api}/services/absent`, 'PATCH', { spec: { replicas: 1 } }, MERGE), 404, 'NotFound', '"absent"');
    assert.equal(await storeRevision(s.url), rev);
  });

  it('a patch cannot change read-only metadata or start a deletion', async () => {
    const before = await createService(s.url, 'ro');
    const res = await send(
      `${s.api}/services/ro`,
      'PATCH',
      // (metadata.uid is not ignored: it is a precondition, see preconditions.test.ts)
      { metadata: { createdAt: '2000-01-01T00:00:00Z', updatedAt: '2000-01-01T00:00:00Z', generation: 9, deletionTimestamp: '2000-01-01T00:00:00Z', labels: { l: 'v' } } },
      MERGE,
    );
    assert.equal(res.status, 200, res.text);
    const obj = (await http(`${s.api}/services/ro`)).json();
    assert.equal(obj.metadata.uid, before.metadata.uid);
    assert.equal(obj.metadata.createdAt, before.metadata.createdAt);
    assert.equal(obj.metadata.generation, 1);
    assert.equal(obj.metadata.deletionTimestamp, undefined);
    assert.deepEqual(obj.metadata.labels, { l: 'v' });
  });

  it('a patch that changes nothing writes nothing', async () => {
    const before = await createService(s.url, 'noop');
    const rev = await storeRevision(s.url);
    const res = await send(`${s.api}/services/noop`, 'PATCH', { spec: { replicas: 1 } }, MERGE);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json(), before);
    assert.equal(await storeRevision(s.url), rev);
  });
});
