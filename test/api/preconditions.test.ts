// Optimistic concurrency: every single-object response has ETag "<revision>"; If-Match (or
// metadata.revision in a PUT body) pins the revision a write applies to.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { http } from '../helpers.js';
import { assertError, createService, MERGE, send, serviceSpec, storeRevision, useApiServer } from './support.js';

describe('preconditions', () => {
  const s = useApiServer();

  /** A service changed once after its creation: its first revision is stale. */
  async function twice(name: string): Promise<{ stale: number; current: any }> {
    const created = await createService(s.url, name);
    const res = await send(`${s.api}/services/${name}`, 'PATCH', { spec: { replicas: 2 } }, MERGE);
    assert.equal(res.status, 200, res.text);
    return { stale: created.metadata.revision, current: res.json() };
  }

  async function assertUnchanged(name: string, current: unknown, rev: number): Promise<void> {
    assert.deepEqual((await http(`${s.api}/services/${name}`)).json(), current);
    assert.equal(await storeRevision(s.url), rev);
  }

  it('every single-object response carries ETag "<revision>"', async () => {
    const post = await send(`${s.api}/services`, 'POST', { metadata: { name: 'etag' }, spec: serviceSpec() });
    const get = await http(`${s.api}/services/etag`);
    const put = await send(`${s.api}/services/etag`, 'PUT', { spec: serviceSpec({ replicas: 2 }) });
    const patch = await send(`${s.api}/services/etag`, 'PATCH', { spec: { replicas: 3 } }, MERGE);
    const status = await send(`${s.api}/services/etag/status`, 'PUT', { status: { replicas: 3 } });
    const del = await http(`${s.api}/services/etag`, { method: 'DELETE' });
    for (const res of [post, get, put, patch, status, del]) {
      assert.ok(res.status < 300, res.text);
      assert.equal(res.headers.get('etag'), `"${res.json().metadata.revision}"`);
    }
  });

  it('PUT with a stale If-Match answers 412 and changes nothing; the current one succeeds', async () => {
    const { stale, current } = await twice('put-if');
    const rev = await storeRevision(s.url);
    const res = await send(`${s.api}/services/put-if`, 'PUT', { spec: serviceSpec({ replicas: 5 }) }, { 'if-match': `"${stale}"` });
    assertError(res, 412, 'PreconditionFailed', `revision ${stale}`, `${current.metadata.revision}`);
    await assertUnchanged('put-if', current, rev);
    const ok = await send(`${s.api}/services/put-if`, 'PUT', { spec: serviceSpec({ replicas: 5 }) }, { 'if-match': `"${current.metadata.revision}"` });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json().spec.replicas, 5);
  });

  it('PATCH, DELETE and PUT /status with a stale If-Match answer 412 and change nothing', async () => {
    const { stale, current } = await twice('many-if');
    const rev = await storeRevision(s.url);
    const ifMatch = { 'if-match': `"${stale}"` };
    assertError(await send(`${s.api}/services/many-if`, 'PATCH', { spec: { replicas: 9 } }, { ...MERGE, ...ifMatch }), 412, 'PreconditionFailed');
    assertError(await http(`${s.api}/services/many-if`, { method: 'DELETE', headers: ifMatch }), 412, 'PreconditionFailed');
    assertError(await send(`${s.api}/services/many-if/status`, 'PUT', { status: { replicas: 9 } }, ifMatch), 412, 'PreconditionFailed');
    assertError(await send(`${s.api}/services/many-if/status`, 'PATCH', { status: { replicas: 9 } }, { ...MERGE, ...ifMatch }), 412, 'PreconditionFailed');
    await assertUnchanged('many-if', current, rev);
    const del = await http(`${s.api}/services/many-if`, { method: 'DELETE', headers: { 'if-match': `"${current.metadata.revision}"` } });
    assert.equal(del.status, 200, del.text);
  });

  it('metadata.revision in a PUT body is checked like If-Match', async () => {
    const { stale, current } = await twice('body-rev');
    const rev = await storeRevision(s.url);
    const staleBody = { ...current, metadata: { ...current.metadata, revision: stale }, spec: { ...current.spec, replicas: 7 } };
    assertError(await send(`${s.api}/services/body-rev`, 'PUT', staleBody), 412, 'PreconditionFailed', `revision ${stale}`);
    await assertUnchanged('body-rev', current, rev);
    const fresh = { ...current, spec: { ...current.spec, replicas: 7 } };
    const ok = await send(`${s.api}/services/body-rev`, 'PUT', fresh);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json().spec.replicas, 7);
  });

  it('a merge patch that sets metadata.revision is checked like If-Match', async () => {
    const { stale, current } = await twice('patch-rev');
    const rev = await storeRevision(s.url);
    assertError(await send(`${s.api}/services/patch-rev`, 'PATCH', { metadata: { revision: stale }, spec: { replicas: 4 } }, MERGE), 412, 'PreconditionFailed');
    await assertUnchanged('patch-rev', current, rev);
  });

  it('metadata.uid in a body must be the object\'s uid: a write meant for a deleted namesake answers 412', async () => {
    const old = await createService(s.url, 'reborn');
    assert.equal((await http(`${s.api}/services/reborn`, { method: 'DELETE' })).status, 200);
    const current = await createService(s.url, 'reborn');
    const rev = await storeRevision(s.url);
    const staleUid = { metadata: { uid: old.metadata.uid } };
    const writes = [
      send(`${s.api}/services/reborn`, 'PUT', { ...staleUid, spec: serviceSpec({ replicas: 5 }) }),
      send(`${s.api}/services/reborn`, 'PATCH', { ...staleUid, spec: { replicas: 5 } }, MERGE),
      send(`${s.api}/services/reborn`, 'PATCH', [{ op: 'replace', path: '/metadata/uid', value: old.metadata.uid }], { 'content-type': 'application/json-patch+json' }),
      send(`${s.api}/services/reborn/status`, 'PUT', { ...staleUid, status: { replicas: 5 } }),
      send(`${s.api}/services/reborn/status`, 'PATCH', { ...staleUid, status: { replicas: 5 } }, MERGE),
    ];
    for (const res of await Promise.all(writes)) assertError(res, 412, 'PreconditionFailed', old.metadata.uid, 'recreated');
    await assertUnchanged('reborn', current, rev);

    const ok = await send(`${s.api}/services/reborn/status`, 'PATCH', { metadata: { uid: current.metadata.uid }, status: { replicas: 5 } }, MERGE);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json().status, { replicas: 5 });
    assertError(await send(`${s.api}/services/never-was`, 'PUT', { ...staleUid, spec: serviceSpec() }), 404, 'NotFound');
  });

  it('If-Match and metadata.revision that disagree, or a malformed If-Match, answer 400', async () => {
    const { current } = await twice('disagree');
    const rev = await storeRevision(s.url);
    const r = current.metadata.revision;
    assertError(await send(`${s.api}/services/disagree`, 'PUT', { ...current, metadata: { ...current.metadata, revision: r - 1 } }, { 'if-match': `"${r}"` }), 400, 'BadRequest', 'If-Match');
    assertError(await send(`${s.api}/services/disagree`, 'PUT', current, { 'if-match': 'yesterday' }), 400, 'BadRequest', 'If-Match');
    assertError(await send(`${s.api}/services/disagree`, 'PUT', { ...current, metadata: { ...current.metadata, revision: 'latest' } }), 422, 'Invalid');
    await assertUnchanged('disagree', current, rev);
  });

  it('If-Match: * applies to whatever revision is current', async () => {
    await twice('star');
    const res = await send(`${s.api}/services/star`, 'PUT', { spec: serviceSpec({ replicas: 6 }) }, { 'if-match': '*' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json().spec.replicas, 6);
  });

  it('a PUT with a precondition on an object that does not exist answers 404 and creates nothing', async () => {
    const rev = await storeRevision(s.url);
    assertError(await send(`${s.api}/services/ghost`, 'PUT', { spec: serviceSpec() }, { 'if-match': '"3"' }), 404, 'NotFound', '"ghost"');
    assert.equal(await storeRevision(s.url), rev);
    assert.equal((await http(`${s.api}/services/ghost`)).status, 404);
  });
});
