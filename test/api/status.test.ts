// Spec and status are written separately: /status writes only the status, the main resource
// only the spec side.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { http } from '../helpers.js';
import { assertError, createService, JSON_PATCH, MERGE, send, serviceSpec, storeRevision, useApiServer } from './support.js';

describe('the /status subresource', () => {
  const s = useApiServer();

  it('PUT /status changes only the status, whatever else the body says', async () => {
    const created = await createService(s.url, 'st-put', { labels: { a: '1' } });
    const body = { ...created, metadata: { ...created.metadata, labels: { a: 'changed' } }, spec: serviceSpec({ replicas: 9 }), status: { replicas: 2, readyReplicas: 1 } };
    const res = await send(`${s.api}/services/st-put/status`, 'PUT', body);
    assert.equal(res.status, 200, res.text);
    const obj = (await http(`${s.api}/services/st-put`)).json();
    assert.deepEqual(obj.status, { replicas: 2, readyReplicas: 1 });
    assert.deepEqual(obj.spec, created.spec);
    assert.deepEqual(obj.metadata.labels, { a: '1' });
    assert.equal(obj.metadata.generation, created.metadata.generation);
    assert.equal(res.headers.get('etag'), `"${obj.metadata.revision}"`);
  });

  it('PATCH /status (merge and JSON patch) changes only the status', async () => {
    const created = await createService(s.url, 'st-patch');
    const merged = await send(`${s.api}/services/st-patch/status`, 'PATCH', { spec: { replicas: 7 }, status: { replicas: 3 } }, MERGE);
    assert.equal(merged.status, 200, merged.text);
    assert.deepEqual(merged.json().status, { replicas: 3 });
    assert.deepEqual(merged.json().spec, created.spec);

    const patched = await send(
      `${s.api}/services/st-patch/status`,
      'PATCH',
      [
        { op: 'add', path: '/status/readyReplicas', value: 3 },
        { op: 'replace', path: '/spec/replicas', value: 8 },
      ],
      JSON_PATCH,
    );
    assert.equal(patched.status, 200, patched.text);
    const obj = (await http(`${s.api}/services/st-patch`)).json();
    assert.deepEqual(obj.status, { replicas: 3, readyReplicas: 3 });
    assert.deepEqual(obj.spec, created.spec);
  });

  it('PUT and PATCH of the main resource ignore the status', async () => {
    await createService(s.url, 'st-main');
    const withStatus = (await send(`${s.api}/services/st-main/status`, 'PUT', { status: { replicas: 1 } })).json();

    const put = await send(`${s.api}/services/st-main`, 'PUT', { spec: serviceSpec({ replicas: 2 }), status: { replicas: 50 } });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.json().status, withStatus.status);
    assert.equal(put.json().spec.replicas, 2);

    const patch = await send(`${s.api}/services/st-main`, 'PATCH', { spec: { replicas: 3 }, status: { replicas: 60 } }, MERGE);
    assert.equal(patch.status, 200, patch.text);
    const obj = (await http(`${s.api}/services/st-main`)).json();
    assert.deepEqual(obj.status, withStatus.status);
    assert.equal(obj.spec.replicas, 3);
  });

  it('an invalid status answers 422 naming each bad field under /status and changes nothing', async () => {
    const created = await createService(s.url, 'st-bad');
    const res = await send(`${s.api}/services/st-bad/status`, 'PUT', { status: { replicas: -1, bogus: true } });
    const err = assertError(res, 422, 'Invalid');
    assert.deepEqual(err.details?.map((d) => d.path).sort(), ['/status/bogus', '/status/replicas']);
    const patch = await send(`${s.api}/services/st-bad/status`, 'PATCH', { status: { readyReplicas: 'many' } }, MERGE);
    assert.deepEqual(assertError(patch, 422, 'Invalid').details?.map((d) => d.path), ['/status/readyReplicas']);
    assert.deepEqual((await http(`${s.api}/services/st-bad`)).json(), created);
  });

  it('/status of a missing object answers 404 and creates nothing', async () => {
    const rev = await storeRevision(s.url);
    assertError(await send(`${s.api}/services/st-missing/status`, 'PUT', { status: { replicas: 1 } }), 404, 'NotFound', '"st-missing"');
    assertError(await send(`${s.api}/services/st-missing/status`, 'PATCH', { status: { replicas: 1 } }, MERGE), 404, 'NotFound');
    assert.equal(await storeRevision(s.url), rev);
  });

  it('GET /status returns the object', async () => {
    const created = await createService(s.url, 'st-get');
    const res = await http(`${s.api}/services/st-get/status`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), created);
  });
});
