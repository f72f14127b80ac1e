// Asynchronous work: 202 Accepted with an Operation, ?wait= to block until it is done.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { http, until } from '../helpers.js';
import { assertError, send, storeRevision, useApiServer } from './support.js';

// With controllers (the operations controller does the work); no other kind is written here, so
// no other controller writes either.
describe('operations', () => {
  const s = useApiServer({ controllers: true });

  it('POST answers 202 Accepted with the pending Operation and its Location; it then runs to Succeeded', async () => {
    const res = await send(`${s.api}/operations`, 'POST', { spec: { type: 'Compact' } });
    assert.equal(res.status, 202, res.text);
    const op = res.json();
    assert.equal(op.kind, 'Operation');
    assert.match(op.metadata.name, /^op-[a-z0-9]{5}$/);
    assert.equal(res.headers.get('location'), `/api/v1/operations/${op.metadata.name}`);
    assert.ok(op.status.phase === undefined || op.status.phase === 'Pending' || op.status.phase === 'Running', JSON.stringify(op.status));
    const done = await until(async () => {
      const cur = (await http(`${s.api}/operations/${op.metadata.name}`)).json();
      return cur.status.phase === 'Succeeded' && cur;
    }, 'the operation to succeed');
    assert.ok(done.status.startedAt && done.status.finishedAt);
  });

  it('POST ?wait= answers 201 with the finished Operation', async () => {
    const res = await send(`${s.api}/operations?wait=5s`, 'POST', { spec: { type: 'Compact' } });
    assert.equal(res.status, 201, res.text);
    const op = res.json();
    assert.equal(op.status.phase, 'Succeeded');
    assert.ok(op.status.result && typeof op.status.result === 'object');
    assert.equal(res.headers.get('location'), `/api/v1/operations/${op.metadata.name}`);
    assert.equal(res.headers.get('etag'), `"${op.metadata.revision}"`);
  });

  it('GET ?wait= on an operation answers when it is done', async () => {
    // Compact everything so far (the earlier operations made history).
    const revision = await storeRevision(s.url);
    const created = await send(`${s.api}/operations`, 'POST', { spec: { type: 'Compact', params: { revision } } });
    assert.equal(created.status, 202, created.text);
    const name = created.json().metadata.name;
    const res = await http(`${s.api}/operations/${name}?wait=5s`);
    assert.equal(res.status, 200, res.text);
    const op = res.json();
    assert.equal(op.status.phase, 'Succeeded');
    assert.deepEqual(op.status.result, { compactedRevision: revision });
  });

  it('an operation that cannot be done ends Failed with a message', async () => {
    const revision = (await storeRevision(s.url)) + 1_000;
    const res = await send(`${s.api}/operations?wait=5s`, 'POST', { spec: { type: 'Compact', params: { revision } } });
    assert.equal(res.status, 201, res.text);
    const op = res.json();
    assert.equal(op.status.phase, 'Failed');
    assert.match(op.status.error, new RegExp(`cannot compact to revision ${revision}: the current revision is \\d+`));
  });

  it('an invalid parameter or target answers 422 naming it, and creates nothing', async () => {
    const rev = await storeRevision(s.url);
    const cases: [unknown, string][] = [
      [{ type: 'Compact', params: { revision: 'yesterday' } }, '/spec/params/revision'],
      [{ type: 'Compact', params: { revision: 0 } }, '/spec/params/revision'],
      [{ type: 'Compact', params: { keep: 5 } }, '/spec/params/keep'],
      [{ type: 'Compact', target: { kind: 'Machine', name: 'm1' } }, '/spec/target'],
      [{ type: 'Drain' }, '/spec/target'],
      [{ type: 'Drain', target: { kind: 'Service', name: 'web' } }, '/spec/target'],
      [{ type: 'Drain', target: { kind: 'Machine', name: 'm1' }, params: { force: 'yes' } }, '/spec/params/force'],
      [{ type: 'Drain', target: { kind: 'Machine', name: 'm1' }, params: { timeoutSeconds: -1 } }, '/spec/params/timeoutSeconds'],
    ];
    for (const [spec, path] of cases) {
      const err = assertError(await send(`${s.api}/operations`, 'POST', { spec }), 422, 'Invalid', path);
      assert.ok(err.details?.some((d) => d.path === path), `${JSON.stringify(spec)}: details name ${path}: ${JSON.stringify(err.details)}`);
    }
    assert.equal(await storeRevision(s.url), rev, 'nothing was written');
  });

  it('an invalid wait answers 400 naming wait and creates nothing', async () => {
    const rev = await storeRevision(s.url);
    assertError(await send(`${s.api}/operations?wait=soon`, 'POST', { spec: { type: 'Compact' } }), 400, 'BadRequest', 'wait');
    assertError(await send(`${s.api}/operations?wait=10h`, 'POST', { spec: { type: 'Compact' } }), 400, 'BadRequest', 'wait');
    assert.equal(await storeRevision(s.url), rev);
    const ops = (await http(`${s.api}/operations`)).json().items.length;
    const name = (await http(`${s.api}/operations`)).json().items[0].metadata.name;
    assertError(await http(`${s.api}/operations/${name}?wait=-1s`), 400, 'BadRequest', 'wait');
    assert.equal((await http(`${s.api}/operations`)).json().items.length, ops);
  });

  it('an unknown operation type answers 422 naming /spec/type', async () => {
    const rev = await storeRevision(s.url);
    const err = assertError(await send(`${s.api}/operations`, 'POST', { spec: { type: 'Reboot' } }), 422, 'Invalid');
    assert.deepEqual(err.details?.map((d) => d.path), ['/spec/type']);
    assert.equal(await storeRevision(s.url), rev);
  });

  it('operations cannot be replaced or patched: 405 with Allow', async () => {
    const op = (await send(`${s.api}/operations?wait=5s`, 'POST', { spec: { type: 'Compact' } })).json();
    const res = await send(`${s.api}/operations/${op.metadata.name}`, 'PUT', op);
    assertError(res, 405, 'MethodNotAllowed', 'PUT');
    assert.equal(res.headers.get('allow'), 'GET, DELETE, HEAD');
    assertError(await send(`${s.api}/operations/${op.metadata.name}`, 'PATCH', {}, { 'content-type': 'application/merge-patch+json' }), 405, 'MethodNotAllowed');
  });

  it('GET ?wait= on a missing operation answers 404', async () => {
    assertError(await http(`${s.api}/operations/op-none?wait=1s`), 404, 'NotFound', '"op-none"');
  });
});
