// POST /api/v1/machines/{machine}/taskstatus: many tasks' status changes in one request, each
// applied as its own /status merge patch and answered on its own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { http } from '../helpers.js';
import { assertError, createTask, send, storeRevision, useApiServer } from './support.js';

describe('task status reports in one request', () => {
  const s = useApiServer();
  const report = (machine: string, body: unknown) => send(`${s.api}/machines/${machine}/taskstatus`, 'POST', body);
  const task = async (name: string) => (await http(`${s.api}/tasks/${name}`)).json();

  it('applies each item as its own status patch: the tasks of the machine change, a wrong uid, a missing task or another machine\'s task is refused alone', async () => {
    for (const m of ['r-m1', 'r-m2']) assert.equal((await send(`${s.api}/machines`, 'POST', { metadata: { name: m } })).status, 201);
    const a = await createTask(s.url, 'r-a', 'r-m1');
    const b = await createTask(s.url, 'r-b', 'r-m1');
    const c = await createTask(s.url, 'r-c', 'r-m1');
    const other = await createTask(s.url, 'r-other', 'r-m2');
    const res = await report('r-m1', {
      items: [
        { name: 'r-a', uid: a.metadata.uid, status: { phase: 'Running', pid: 41 } },
        { name: 'r-b', namespace: 'default', uid: b.metadata.uid, status: { phase: 'Starting' } },
        { name: 'r-c', uid: 'not-its-uid', status: { phase: 'Running' } },
        { name: 'r-gone', uid: 'x', status: { phase: 'Running' } },
        { name: 'r-other', uid: other.metadata.uid, status: { phase: 'Running' } },
      ],
    });
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.equal(body.kind, 'TaskStatusReport');
    assert.deepEqual(
      body.items.map((i: { name: string; code: number }) => [i.name, i.code]),
      [
        ['r-a', 200],
        ['r-b', 200],
        ['r-c', 412],
        ['r-gone', 404],
        ['r-other', 409],
      ],
    );
    assert.match(body.items[4].message, /bound to machine "r-m2", not "r-m1"/);
    const after = await task('r-a');
    assert.equal(after.status.phase, 'Running');
    assert.equal(after.status.pid, 41);
    assert.equal(body.items[0].revision, after.metadata.revision);
    assert.equal((await task('r-b')).status.phase, 'Starting');
    assert.deepEqual((await task('r-c')).status, c.status, 'a wrong uid changes nothing');
    assert.deepEqual((await task('r-other')).status, other.status, "another machine's task is not changed");
  });

  it('refuses a malformed report, an unknown machine or too many items with a 4xx, and writes nothing', async () => {
    assert.equal((await send(`${s.api}/machines`, 'POST', { metadata: { name: 'r-m3' } })).status, 201);
    const t = await createTask(s.url, 'r-bad', 'r-m3');
    const good = { name: 'r-bad', uid: t.metadata.uid, status: { phase: 'Running' } };
    const before = await storeRevision(s.url);
    assertError(await report('r-m3', { items: [] }), 400, 'BadRequest', 'items');
    assertError(await report('r-m3', { items: [good], extra: 1 }), 400, 'BadRequest', '"extra"');
    assertError(await report('r-m3', { items: [good, { ...good, color: 'red' }] }), 400, 'BadRequest', 'items[1]', '"color"');
    assertError(await report('r-m3', { items: [good, { name: 'r-bad', status: {} }] }), 400, 'BadRequest', 'items[1].uid');
    assertError(await report('r-m3', { items: [{ ...good, status: 'Running' }] }), 400, 'BadRequest', 'items[0].status');
    assertError(await report('r-m3', [good]), 400, 'BadRequest', 'object');
    assertError(await report('r-m3', { items: Array.from({ length: 1001 }, () => good) }), 400, 'BadRequest', 'at most 1000');
    assertError(await report('r-nowhere', { items: [good] }), 404, 'NotFound', 'machine "r-nowhere"');
    assertError(await report('bad%20name', { items: [good] }), 400, 'BadRequest');
    assert.equal(await storeRevision(s.url), before, 'nothing was written');
    assert.deepEqual((await task('r-bad')).status, t.status);
  });
});
