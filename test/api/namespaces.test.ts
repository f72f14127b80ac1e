// Namespaces: names unique per namespace, the namespaced URLs next to the old ones (which mean
// "default" for one object and every namespace for a list or watch), bad namespaces refused
// with nothing changed, a namespace deleted only once empty, and a store written before
// namespaces existed opening with its objects in "default".
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startServer } from '../../src/server.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { http, tempDir, until } from '../helpers.js';
import { rmSync } from 'node:fs';
import { assertError, send, serviceSpec, storeRevision, useApiServer, watchNdjson } from './support.js';

const names = (list: { items: { metadata: { name: string; namespace?: string } }[] }) => list.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

async function createNamespace(base: string, name: string): Promise<void> {
  const res = await send(`${base}/api/v1/namespaces`, 'POST', { metadata: { name } });
  assert.equal(res.status, 201, res.text);
}

describe('namespaces', () => {
  const s = useApiServer();

  it('"default" exists from the start, and objects created without a namespace land there', async () => {
    assert.equal((await http(`${s.api}/namespaces/default`)).status, 200);
    const res = await send(`${s.api}/services`, 'POST', { metadata: { name: 'plain' }, spec: serviceSpec() });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json().metadata.namespace, 'default');
    assert.equal((await http(`${s.api}/namespaces/default/services/plain`)).json().metadata.uid, res.json().metadata.uid);
  });

  it('names are unique per namespace: "web" in a and in b are two objects, a second "web" in a is refused', async () => {
    await createNamespace(s.url, 'ns-a');
    await createNamespace(s.url, 'ns-b');
    const a = await send(`${s.api}/namespaces/ns-a/services`, 'POST', { metadata: { name: 'web' }, spec: serviceSpec({ replicas: 2 }) });
    const b = await send(`${s.api}/namespaces/ns-b/services`, 'POST', { metadata: { name: 'web' }, spec: serviceSpec({ replicas: 3 }) });
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 201, b.text);
    assert.equal(a.headers.get('location'), '/api/v1/namespaces/ns-a/services/web');
    assert.notEqual(a.json().metadata.uid, b.json().metadata.uid);
    assert.equal((await http(`${s.api}/namespaces/ns-a/services/web`)).json().spec.replicas, 2);
    assert.equal((await http(`${s.api}/namespaces/ns-b/services/web`)).json().spec.replicas, 3);
    assertError(await send(`${s.api}/namespaces/ns-a/services`, 'POST', { metadata: { name: 'web' }, spec: serviceSpec() }), 409, 'AlreadyExists', '"web"', 'ns-a');
    // The old URL means "default", where there is no "web".
    assertError(await http(`${s.api}/services/web`), 404, 'NotFound', '"web"');
  });

  it('a namespaced list holds its namespace only; the old URL lists every namespace', async () => {
    const inA = (await http(`${s.api}/namespaces/ns-a/services`)).json();
    assert.deepEqual(names(inA), ['ns-a/web']);
    const all = names((await http(`${s.api}/services`)).json());
    assert.ok(all.includes('ns-a/web') && all.includes('ns-b/web') && all.includes('default/plain'), all.join());
    // Paging across namespaces visits each object once.
    const seen: string[] = [];
    let token = '';
    for (;;) {
      const page = (await http(`${s.api}/services?limit=1${token ? `&pageToken=${token}` : ''}`)).json();
      seen.push(...names(page));
      if (!page.metadata.nextPageToken) break;
      token = page.metadata.nextPageToken;
    }
    assert.deepEqual(seen, all);
  });

  it('PUT, PATCH, status and DELETE under a namespace act on that namespace\'s object only', async () => {
    const patched = await send(`${s.api}/namespaces/ns-b/services/web`, 'PATCH', { spec: { replicas: 5 } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(patched.status, 200, patched.text);
    assert.equal((await http(`${s.api}/namespaces/ns-a/services/web`)).json().spec.replicas, 2);
    const status = await send(`${s.api}/namespaces/ns-b/services/web/status`, 'PUT', { status: { replicas: 1 } });
    assert.equal(status.status, 200, status.text);
    const put = await send(`${s.api}/namespaces/ns-b/services/other`, 'PUT', { metadata: { name: 'other' }, spec: serviceSpec() });
    assert.equal(put.status, 201, put.text);
    assert.equal(put.json().metadata.namespace, 'ns-b');
    assert.equal((await http(`${s.api}/namespaces/ns-b/services/other`, { method: 'DELETE' })).status, 200);
    assert.equal((await http(`${s.api}/namespaces/ns-b/services/other`)).status, 404);
  });

  it('a manifest naming its namespace may be POSTed to the old URL', async () => {
    const res = await send(`${s.api}/services`, 'POST', { metadata: { name: 'from-manifest', namespace: 'ns-b' }, spec: serviceSpec() });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json().metadata.namespace, 'ns-b');
    assert.equal(res.headers.get('location'), '/api/v1/namespaces/ns-b/services/from-manifest');
    assert.equal((await http(`${s.api}/namespaces/ns-b/services/from-manifest`, { method: 'DELETE' })).status, 200);
  });

  it('bad namespaces are refused with a clear 4xx, and nothing changes', async () => {
    const before = await storeRevision(s.url);
    const body = { metadata: { name: 'x' }, spec: serviceSpec() };
    assertError(await send(`${s.api}/namespaces/nowhere/services`, 'POST', body), 404, 'NotFound', 'namespace "nowhere" not found');
    assertError(await http(`${s.api}/namespaces/nowhere/services`), 404, 'NotFound', 'namespace "nowhere"');
    assertError(await send(`${s.api}/namespaces/Bad_Name/services`, 'POST', body), 400, 'BadRequest', 'invalid namespace "Bad_Name"');
    assertError(await send(`${s.api}/services`, 'POST', { ...body, metadata: { name: 'x', namespace: 'nowhere' } }), 404, 'NotFound', 'namespace "nowhere"');
    assertError(
      await send(`${s.api}/namespaces/ns-a/services`, 'POST', { ...body, metadata: { name: 'x', namespace: 'ns-b' } }),
      400,
      'BadRequest',
      'metadata.namespace "ns-b"',
      '"ns-a"',
    );
    assertError(await send(`${s.api}/namespaces/ns-a/services/web`, 'PUT', { ...body, metadata: { name: 'web', namespace: 'ns-b' } }), 400, 'BadRequest', 'metadata.namespace');
    assertError(await send(`${s.api}/namespaces`, 'POST', { metadata: { name: 'UPPER' } }), 422, 'Invalid', 'invalid namespace "UPPER"');
    // Machines have no namespace.
    assert.equal((await http(`${s.api}/namespaces/ns-a/machines`)).status, 404);
    assert.equal(await storeRevision(s.url), before);
  });

  it('a watch under a namespace sends only that namespace\'s events; the old URL sends every namespace\'s', async () => {
    const inA = await watchNdjson(`${s.api}/namespaces/ns-a/services?watch=true`);
    const all = await watchNdjson(`${s.api}/services?watch=true`);
    s.beforeClose(() => Promise.all([inA.close(), all.close()]));
    const initialA = await until(() => inA.events.find((e) => e.type === 'BOOKMARK') && inA.events, 'the first bookmark of ns-a');
    assert.deepEqual(initialA.filter((e: any) => e.type === 'ADDED').map((e: any) => e.object.metadata.namespace), ['ns-a']);
    await until(() => all.events.some((e) => e.type === 'BOOKMARK'), 'the first bookmark of all');
    assert.equal((await send(`${s.api}/namespaces/ns-b/services`, 'POST', { metadata: { name: 'late' }, spec: serviceSpec() })).status, 201);
    assert.equal((await send(`${s.api}/namespaces/ns-a/services`, 'POST', { metadata: { name: 'late' }, spec: serviceSpec() })).status, 201);
    await until(() => all.events.filter((e) => e.object?.metadata?.name === 'late').length === 2, 'both "late" services on the watch of all');
    const late = await until(() => inA.events.find((e) => e.object?.metadata?.name === 'late'), 'the "late" service of ns-a');
    assert.equal(late.object.metadata.namespace, 'ns-a');
    // ns-b's "late" was written first: had it been sent to ns-a's watch, it would be there by now.
    assert.equal(inA.events.filter((e) => e.object?.metadata?.name === 'late').length, 1);
  });

  it('a namespace that holds objects is not deleted (409, saying what it holds); an empty one is; "default" never', async () => {
    const before = await storeRevision(s.url);
    assertError(await http(`${s.api}/namespaces/ns-a`, { method: 'DELETE' }), 409, 'Conflict', 'namespace "ns-a" still holds', 'services');
    assertError(await http(`${s.api}/namespaces/default`, { method: 'DELETE' }), 409, 'Conflict', '"default"');
    assert.equal(await storeRevision(s.url), before);
    await createNamespace(s.url, 'ns-empty');
    assert.equal((await http(`${s.api}/namespaces/ns-empty`, { method: 'DELETE' })).status, 200);
    assertError(await send(`${s.api}/namespaces/ns-empty/services`, 'POST', { metadata: { name: 'x' }, spec: serviceSpec() }), 404, 'NotFound', 'namespace "ns-empty"');
  });
});

describe('namespaces: controllers', () => {
  const s = useApiServer({ controllers: true });

  it('services of the same name in two namespaces each own their own tasks', async () => {
    await createNamespace(s.url, 'team-a');
    await createNamespace(s.url, 'team-b');
    const a = (await send(`${s.api}/namespaces/team-a/services`, 'POST', { metadata: { name: 'web' }, spec: serviceSpec({ replicas: 2 }) })).json();
    const b = (await send(`${s.api}/namespaces/team-b/services`, 'POST', { metadata: { name: 'web' }, spec: serviceSpec({ replicas: 3 }) })).json();
    const tasksOf = async (ns: string) => (await http(`${s.api}/namespaces/${ns}/tasks`)).json().items as any[];
    // No machine: the tasks stay pending, but each service gets its own number of them.
    const inA = await until(async () => ((await tasksOf('team-a')).length === 2 ? tasksOf('team-a') : undefined), 'two tasks in team-a');
    const inB = await until(async () => ((await tasksOf('team-b')).length === 3 ? tasksOf('team-b') : undefined), 'three tasks in team-b');
    for (const t of inA) assert.equal(t.metadata.ownerReferences[0].uid, a.metadata.uid);
    for (const t of inB) assert.equal(t.metadata.ownerReferences[0].uid, b.metadata.uid);
    // Deleting team-a's "web" removes its tasks only.
    assert.equal((await http(`${s.api}/namespaces/team-a/services/web`, { method: 'DELETE' })).status, 200);
    await until(async () => (await tasksOf('team-a')).length === 0, 'team-a\'s tasks gone');
    assert.equal((await tasksOf('team-b')).length, 3);
    assert.equal((await http(`${s.api}/namespaces/team-b/services/web`)).json().status.desiredReplicas, 3);
  });
});

describe('namespaces: a store written before namespaces', () => {
  it('opens with its services and tasks in "default", under the new keys, and keeps working', async () => {
    const dir = tempDir();
    try {
      // The key layout of drover before namespaces: /drover/<plural>/<name>, no metadata.namespace.
      const old = SqliteStore.open({ path: join(dir, 'state.db') });
      const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, uid: `uid-${name}`, generation: 1, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', ...extra });
      const put = (key: string, obj: unknown) => old.txn({ success: [{ type: 'put', key, value: JSON.stringify(obj) }] });
      await put('/drover/services/web', { apiVersion: 'drover/v1', kind: 'Service', metadata: meta('web'), spec: { replicas: 1, template: { command: ['sleep', '1000'] } }, status: {} });
      await put('/drover/tasks/web-abcde', {
        apiVersion: 'drover/v1',
        kind: 'Task',
        metadata: meta('web-abcde', { ownerReferences: [{ kind: 'Service', name: 'web', uid: 'uid-web', controller: true }] }),
        spec: { template: { command: ['sleep', '1000'] } },
        status: {},
      });
      await put('/drover/machines/m1', { apiVersion: 'drover/v1', kind: 'Machine', metadata: meta('m1'), spec: {}, status: {} });
      await old.close();

      const server = await startServer({ listen: '127.0.0.1:0', dataDir: dir, logLevel: 'error', controllers: false });
      try {
        const web = (await http(`${server.url}/api/v1/services/web`)).json();
        assert.equal(web.metadata.uid, 'uid-web');
        assert.equal(web.metadata.namespace, 'default');
        assert.equal((await http(`${server.url}/api/v1/namespaces/default/tasks/web-abcde`)).json().metadata.ownerReferences[0].uid, 'uid-web');
        const machine = (await http(`${server.url}/api/v1/machines/m1`)).json();
        assert.equal(machine.metadata.namespace, undefined);
        const patched = await send(`${server.url}/api/v1/services/web`, 'PATCH', { spec: { replicas: 2 } }, { 'content-type': 'application/merge-patch+json' });
        assert.equal(patched.status, 200, patched.text);
      } finally {
        await server.close();
      }

      const reopened = SqliteStore.open({ path: join(dir, 'state.db') });
      try {
        const keys = (await reopened.range('/drover/', { end: '/drover0' })).kvs.map((kv) => kv.key);
        assert.ok(keys.includes('/drover/services/default/web'), keys.join());
        assert.ok(keys.includes('/drover/tasks/default/web-abcde'), keys.join());
        assert.ok(keys.includes('/drover/machines/m1'), keys.join());
        assert.ok(!keys.includes('/drover/services/web') && !keys.includes('/drover/tasks/web-abcde'), keys.join());
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
