// The Dataset kind at the native door: ids (version 4, lowercase, generated, immutable, never
// reused), Flocker's limits, and DELETE leaving a tombstone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { http } from '../helpers.js';
import { MERGE, send, useApiServer } from './support.js';

const MiB = 1024 * 1024;
const ID = '8f6c2a9e-4d1b-4c3a-9e2f-0a1b2c3d4e5f';

describe('datasets', () => {
  const s = useApiServer();

  it('generates a version 4 id, keeps it on a PUT that leaves it out, and refuses changing it', async () => {
    const res = await send(`${s.api}/datasets`, 'POST', { metadata: { name: 'gen' }, spec: { maximumSize: 64 * MiB } });
    assert.equal(res.status, 201, res.text);
    const created = res.json();
    assert.match(created.spec.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(created.spec.backend, 'directory');
    const put = await send(`${s.api}/datasets/gen`, 'PUT', { metadata: { name: 'gen' }, spec: { maximumSize: 64 * MiB, metadata: { a: 'b' } } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json().spec.id, created.spec.id);
    const changed = await send(`${s.api}/datasets/gen`, 'PATCH', { spec: { id: ID } }, MERGE);
    assert.equal(changed.status, 422, changed.text);
    assert.match(changed.text, /immutable/);
  });

  it("lowercases ids and refuses another dataset's id, in any case and any namespace, tombstones included", async () => {
    const res = await send(`${s.api}/datasets`, 'POST', { metadata: { name: 'upper' }, spec: { id: ID.toUpperCase() } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json().spec.id, ID);
    const del = await send(`${s.api}/datasets/upper`, 'DELETE');
    assert.equal(del.status, 200, del.text);
    assert.equal(del.json().spec.deleted, true);
    const again = await send(`${s.api}/datasets/upper`, 'DELETE');
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json().metadata.revision, del.json().metadata.revision, 'a second delete changes nothing');
    const listed = (await http(`${s.api}/datasets`)).json();
    assert.ok(listed.items.some((d: { metadata: { name: string }; spec: { deleted?: boolean } }) => d.metadata.name === 'upper' && d.spec.deleted));
    const reuse = await send(`${s.api}/datasets`, 'POST', { metadata: { name: 'other' }, spec: { id: ID } });
    assert.equal(reuse.status, 409, reuse.text);
    assert.match(reuse.text, /never reused/);
    const undelete = await send(`${s.api}/datasets/upper`, 'PATCH', { spec: { deleted: false } }, MERGE);
    assert.equal(undelete.status, 422, undelete.text);
  });

  it("refuses Flocker's bad sizes, metadata and non-v4 ids", async () => {
    const cases: [unknown, RegExp][] = [
      [{ maximumSize: 1024 }, /64 MiB/],
      [{ maximumSize: 64 * MiB + 1 }, /multiple of 1024/],
      [{ id: '8f6c2a9e-4d1b-1c3a-9e2f-0a1b2c3d4e5f' }, /version 4/],
      [{ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, /at most 16/],
      [{ metadata: { k: 'x'.repeat(257) } }, /256/],
      [{ backend: 'loopback' }, /maximumSize/],
    ];
    for (const [spec, message] of cases) {
      const res = await send(`${s.api}/datasets`, 'POST', { metadata: { name: 'bad' }, spec });
      assert.equal(res.status, 422, `${JSON.stringify(spec)}: ${res.text}`);
      assert.match(res.text, message);
    }
    assert.equal((await http(`${s.api}/datasets/bad`)).status, 404);
  });

  it('leases are named after their dataset', async () => {
    const bad = await send(`${s.api}/leases`, 'POST', { metadata: { name: 'a' }, spec: { dataset: 'b', machine: 'm' } });
    assert.equal(bad.status, 422, bad.text);
    const ok = await send(`${s.api}/leases`, 'POST', { metadata: { name: 'a' }, spec: { dataset: 'a', machine: 'm', expiresAt: null } });
    assert.equal(ok.status, 201, ok.text);
  });
});
