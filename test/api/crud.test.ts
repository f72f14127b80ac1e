// The verbs of the native API on one object: envelope, create, replace, read, delete.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { http } from '../helpers.js';
import { assertError, createService, send, serviceSpec, storeRevision, useApiServer } from './support.js';

describe('CRUD', () => {
  const s = useApiServer();

  it('GET answers the resource envelope and an ETag of the revision', async () => {
    await createService(s.url, 'envelope', { labels: { app: 'web' } });
    const res = await http(`${s.api}/services/envelope`);
    assert.equal(res.status, 200);
    const obj = res.json();
    assert.deepEqual(Object.keys(obj).sort(), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    assert.equal(obj.apiVersion, 'drover/v1');
    assert.equal(obj.kind, 'Service');
    const m = obj.metadata;
    assert.equal(m.name, 'envelope');
    assert.match(m.uid, /^[0-9a-f-]{36}$/);
    assert.ok(Number.isInteger(m.revision) && m.revision > 0);
    assert.equal(m.generation, 1);
    assert.deepEqual(m.labels, { app: 'web' });
    assert.ok(!Number.isNaN(Date.parse(m.createdAt)) && !Number.isNaN(Date.parse(m.updatedAt)));
    assert.deepEqual(obj.status, {});
    assert.equal(obj.spec.replicas, 1, 'defaults are applied');
    assert.equal(res.headers.get('etag'), `"${m.revision}"`);
  });

  it('POST creates: 201 with Location and ETag, and the object is readable there', async () => {
    const before = await storeRevision(s.url);
    const res = await send(`${s.api}/services`, 'POST', { apiVersion: 'drover/v1', kind: 'Service', metadata: { name: 'created' }, spec: serviceSpec() });
    assert.equal(res.status, 201, res.text);
    const obj = res.json();
    assert.equal(res.headers.get('location'), '/api/v1/services/created');
    assert.equal(res.headers.get('etag'), `"${obj.metadata.revision}"`);
    assert.equal(obj.metadata.revision, before + 1);
    const got = await http(`${s.url}${res.headers.get('location')}`);
    assert.deepEqual(got.json(), obj);
  });

  it('POST of a name that exists answers 409 AlreadyExists and changes nothing', async () => {
    const first = await createService(s.url, 'taken');
    const rev = await storeRevision(s.url);
    const res = await send(`${s.api}/services`, 'POST', { metadata: { name: 'taken' }, spec: serviceSpec({ replicas: 5 }) });
    assertError(res, 409, 'AlreadyExists', '"taken"');
    assert.equal(await storeRevision(s.url), rev);
    assert.deepEqual((await http(`${s.api}/services/taken`)).json(), first);
  });

  it('PUT answers 201 when it creates and 200 when it replaces', async () => {
    const created = await send(`${s.api}/services/put-me`, 'PUT', { metadata: { name: 'put-me' }, spec: serviceSpec() });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('location'), '/api/v1/services/put-me');
    const replaced = await send(`${s.api}/services/put-me`, 'PUT', { spec: serviceSpec({ replicas: 4 }) });
    assert.equal(replaced.status, 200, replaced.text);
    const obj = replaced.json();
    assert.equal(obj.spec.replicas, 4);
    assert.equal(obj.metadata.uid, created.json().metadata.uid, 'a replace keeps the identity');
    assert.equal(replaced.headers.get('etag'), `"${obj.metadata.revision}"`);
    assert.deepEqual((await http(`${s.api}/services/put-me`)).json(), obj);
  });

  it('GET output is valid PUT input: status and read-only metadata are ignored', async () => {
    await createService(s.url, 'roundtrip');
    const withStatus = await send(`${s.api}/services/roundtrip/status`, 'PUT', { status: { replicas: 1, readyReplicas: 1 } });
    assert.equal(withStatus.status, 200, withStatus.text);
    const current = withStatus.json();

    // Unchanged GET output: accepted, and nothing is written.
    const same = await send(`${s.api}/services/roundtrip`, 'PUT', current);
    assert.equal(same.status, 200, same.text);
    assert.deepEqual(same.json(), current);
    assert.equal(await storeRevision(s.url), current.metadata.revision);

    // GET output with edits to status and read-only metadata, and one real change (a label).
    const edited = structuredClone(current);
    delete edited.metadata.revision; // a precondition when present (preconditions.test.ts)
    edited.status = { replicas: 99 };
    Object.assign(edited.metadata, {
      generation: 42,
      createdAt: '2000-01-01T00:00:00.000Z',
      deletionTimestamp: '2000-01-01T00:00:00.000Z',
      labels: { tier: 'front' },
    });
    const res = await send(`${s.api}/services/roundtrip`, 'PUT', edited);
    assert.equal(res.status, 200, res.text);
    const after = (await http(`${s.api}/services/roundtrip`)).json();
    assert.deepEqual(after.status, current.status);
    assert.equal(after.metadata.uid, current.metadata.uid);
    assert.equal(after.metadata.generation, current.metadata.generation);
    assert.equal(after.metadata.createdAt, current.metadata.createdAt);
    assert.equal(after.metadata.deletionTimestamp, undefined, 'a client cannot start a deletion through PUT');
    assert.deepEqual(after.metadata.labels, { tier: 'front' });
    assert.ok(after.metadata.revision > current.metadata.revision);
  });

  it('generation bumps only when the spec changes', async () => {
    const created = await createService(s.url, 'gen', { spec: { template: { command: ['a'], env: { A: '1', B: '2' } } } });
    assert.equal(created.metadata.generation, 1);
    const put = (body: unknown) => send(`${s.api}/services/gen`, 'PUT', body).then((r) => (assert.equal(r.status, 200, r.text), r.json()));

    const labelled = await put({ metadata: { labels: { a: 'b' } }, spec: created.spec });
    assert.equal(labelled.metadata.generation, 1, 'a label change is not a spec change');
    assert.ok(labelled.metadata.revision > created.metadata.revision);

    const reordered = await put({ metadata: { labels: { a: 'b' } }, spec: { template: { env: { B: '2', A: '1' }, command: ['a'] } } });
    assert.equal(reordered.metadata.generation, 1, 'the same spec with keys in another order is the same spec');
    assert.equal(reordered.metadata.revision, labelled.metadata.revision, 'and nothing is written');

    const status = await send(`${s.api}/services/gen/status`, 'PUT', { status: { replicas: 1 } });
    assert.equal(status.json().metadata.generation, 1, 'a status change is not a spec change');

    const changed = await put({ metadata: { labels: { a: 'b' } }, spec: { ...created.spec, replicas: 3 } });
    assert.equal(changed.metadata.generation, 2);
  });

  it('POST without a name on tasks gets a generated name', async () => {
    const res = await send(`${s.api}/tasks`, 'POST', { spec: { template: { command: ['echo', 'hi'] } } });
    assert.equal(res.status, 201, res.text);
    const name = res.json().metadata.name;
    assert.match(name, /^task-[a-z0-9]{5}$/);
    assert.equal(res.headers.get('location'), `/api/v1/tasks/${name}`);
    assert.equal((await http(`${s.api}/tasks/${name}`)).status, 200);
  });

  it('POST with metadata.generateName gets the prefix and a unique suffix', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await send(`${s.api}/services`, 'POST', { metadata: { generateName: 'batch-' }, spec: serviceSpec() });
      assert.equal(res.status, 201, res.text);
      names.add(res.json().metadata.name);
    }
    assert.equal(names.size, 3);
    for (const n of names) assert.match(n, /^batch-[a-z0-9]{5}$/);
  });

  it('POST without a name on a kind that needs one answers 422 naming /metadata/name and creates nothing', async () => {
    const rev = await storeRevision(s.url);
    const res = await send(`${s.api}/services`, 'POST', { spec: serviceSpec() });
    const err = assertError(res, 422, 'Invalid');
    assert.deepEqual(err.details?.map((d) => d.path), ['/metadata/name']);
    assert.equal(await storeRevision(s.url), rev);
  });

  it('a Machine with only metadata is accepted', async () => {
    const id = '0123456789abcdef0123456789abcdef';
    const res = await send(`${s.api}/machines`, 'POST', { metadata: { name: id, labels: { region: 'eu' } } });
    assert.equal(res.status, 201, res.text);
    const m = res.json();
    assert.equal(m.kind, 'Machine');
    assert.deepEqual(m.metadata.labels, { region: 'eu' });
    assert.deepEqual(m.spec, {});
    const put = await send(`${s.api}/machines/pre-registered`, 'PUT', { metadata: { labels: { role: 'db' } } });
    assert.equal(put.status, 201, put.text);
  });

  it('a Service without its required spec answers 422 naming /spec', async () => {
    const rev = await storeRevision(s.url);
    const err = assertError(await send(`${s.api}/services`, 'POST', { metadata: { name: 'no-spec' } }), 422, 'Invalid');
    assert.ok(err.details?.some((d) => d.path === '/spec'), JSON.stringify(err.details));
    assert.equal(await storeRevision(s.url), rev);
  });

  it('DELETE answers 200 with the last object, then the object is gone', async () => {
    const created = await createService(s.url, 'doomed');
    const res = await http(`${s.api}/services/doomed`, { method: 'DELETE' });
    assert.equal(res.status, 200, res.text);
    const last = res.json();
    assert.equal(last.metadata.name, 'doomed');
    assert.equal(last.metadata.uid, created.metadata.uid);
    assert.deepEqual(last.spec, created.spec);
    assert.ok(last.metadata.revision > created.metadata.revision, 'the revision of the delete');
    assert.equal(last.metadata.revision, await storeRevision(s.url));
    assertError(await http(`${s.api}/services/doomed`), 404, 'NotFound', 'service "doomed" not found');
    assertError(await http(`${s.api}/services/doomed`, { method: 'DELETE' }), 404, 'NotFound', '"doomed"');
  });

  it('a body whose metadata.name differs from the URL answers 400 and writes nothing', async () => {
    const rev = await storeRevision(s.url);
    assertError(await send(`${s.api}/services/one`, 'PUT', { metadata: { name: 'other' }, spec: serviceSpec() }), 400, 'BadRequest', '"other"', '"one"');
    assert.equal(await storeRevision(s.url), rev);
    assert.equal((await http(`${s.api}/services/one`)).status, 404);
  });

  it('a body of another kind or apiVersion answers 422 naming /kind and /apiVersion', async () => {
    const rev = await storeRevision(s.url);
    const err = assertError(await send(`${s.api}/services`, 'POST', { apiVersion: 'v1', kind: 'Task', metadata: { name: 'k' }, spec: serviceSpec() }), 422, 'Invalid');
    assert.deepEqual(err.details?.map((d) => d.path).sort(), ['/apiVersion', '/kind']);
    assert.equal(await storeRevision(s.url), rev);
  });
});
