// RBAC, the node authorizer and running as root, through the registry (a RequestContext with a
// principal built here) and through HTTP (buildApp's authenticator option). Authentication is
// built elsewhere; here a principal is whatever the test says it is.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { buildApp } from '../../src/api/app.js';
import type { Authenticator } from '../../src/api/protocol/auth.js';
import { ApiError } from '../../src/errors.js';
import type { Task } from '../../src/model/index.js';
import { kinds, Registry, systemContext, type RequestContext } from '../../src/registry/index.js';
import { ADMINISTRATORS_GROUP, type Principal } from '../../src/security/principal.js';
import { State } from '../../src/state/state.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { http, tempDir, until } from '../helpers.js';
import { drover } from '../cli/drover.js';
import { assertError, send, serviceSpec, watchNdjson } from './support.js';

// ---- TEST ONLY: a principal from request headers (x-test-user, x-test-groups); without them
// "ann" (the CLI sends none). Never in the server. ----
const headerAuthenticator: Authenticator = {
  authenticate: (req: FastifyRequest): Principal => {
    const name = req.headers['x-test-user'] ?? 'ann';
    if (typeof name !== 'string') throw new ApiError('Unauthorized', 'test authenticator: send one x-test-user');
    const groups = typeof req.headers['x-test-groups'] === 'string' ? req.headers['x-test-groups'].split(',') : [];
    return { name, groups, anonymous: false };
  },
};
const as = (name: string, groups: string[] = []) => ({ 'x-test-user': name, ...(groups.length ? { 'x-test-groups': groups.join(',') } : {}) });
const ADMIN = as('root-admin', [ADMINISTRATORS_GROUP]);
const ctxOf = (name: string, groups: string[] = []): RequestContext => ({ principal: { name, groups, anonymous: false }, via: 'test' });

const MERGE = { 'content-type': 'application/merge-patch+json' };

describe('RBAC, the node authorizer and tasks/root', () => {
  const dir = tempDir('drover-rbac-');
  let store: SqliteStore;
  let state: State;
  let registry: Registry;
  let app: FastifyInstance;
  let url: string;
  let api: string;
  const req = (path: string, headers: Record<string, string>, method = 'GET', body?: unknown) =>
    send(`${api}${path}`, method, body, { ...headers, ...(method === 'PATCH' ? MERGE : {}) });

  before(async () => {
    store = SqliteStore.open({ path: join(dir, 'state.db') });
    state = await State.open({ store, kinds });
    registry = new Registry({ state, kinds });
    app = await buildApp({ registry, authenticator: headerAuthenticator });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    api = `${url}/api/v1`;
    const admin = systemContext;
    for (const ns of ['team-a', 'team-b', 'prod']) await registry.kind('namespaces').create(admin, { metadata: { name: ns } });
    // ann edits team-a; vic views team-a only; group "ops" views everything.
    await registry.kind('rolebindings', 'team-a').create(admin, { metadata: { name: 'ann-edit' }, spec: { roleRef: { kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'User', name: 'ann' }] } });
    await registry.kind('rolebindings', 'team-a').create(admin, { metadata: { name: 'vic-view' }, spec: { roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'vic' }] } });
    await registry.kind('clusterrolebindings').create(admin, { metadata: { name: 'ops-view' }, spec: { roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'Group', name: 'ops' }] } });
    for (const ns of ['team-a', 'team-b']) await registry.kind('services', ns).create(admin, { metadata: { name: 'web' }, spec: serviceSpec({ replicas: 0 }) });
    await registry.kind('machines').create(admin, { metadata: { name: 'm1' } });
    await registry.kind('machines').create(admin, { metadata: { name: 'm2' } });
  });
  after(async () => {
    await app.close();
    await state.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a denial is 403 Forbidden naming the user, the verb, the resource and the namespace, and changes nothing', async () => {
    await assert.rejects(registry.kind('services', 'prod').create(ctxOf('ann'), { metadata: { name: 'x' }, spec: serviceSpec() }), (err: ApiError) => {
      assert.equal(err.reason, 'Forbidden');
      assert.equal(err.message, 'user "ann" cannot create services in namespace "prod"');
      return true;
    });
    const before = state.revision;
    const res = await req('/namespaces/prod/services', as('ann'), 'POST', { metadata: { name: 'x' }, spec: serviceSpec() });
    assertError(res, 403, 'Forbidden', 'user "ann" cannot create services in namespace "prod"');
    assert.equal(registry.kind('services', 'prod').list(systemContext).length, 0);
    assert.equal(state.revision, before, 'nothing was written');
  });

  it('edit may create and change services in its namespace, not elsewhere, and not machines', async () => {
    const created = await req('/namespaces/team-a/services', as('ann'), 'POST', { metadata: { name: 'api' }, spec: serviceSpec({ replicas: 0 }) });
    assert.equal(created.status, 201, created.text);
    assert.equal((await req('/namespaces/team-a/services/api', as('ann'), 'PATCH', { spec: { replicas: 1 } })).status, 200);
    assertError(await req('/namespaces/team-b/services/web', as('ann'), 'DELETE'), 403, 'Forbidden', 'user "ann" cannot delete services "web" in namespace "team-b"');
    assertError(await req('/machines', as('ann'), 'POST', { metadata: { name: 'spoofed' } }), 403, 'Forbidden', 'cannot create machines');
    assertError(await req('/machines/m1/heartbeat', as('ann'), 'POST', {}), 403, 'Forbidden', 'machines/status');
    // A RoleBinding grants in its namespace only: cluster-wide kinds need a ClusterRoleBinding (as Kubernetes).
    assertError(await req('/machines', as('ann')), 403, 'Forbidden', 'user "ann" cannot list machines cluster-wide');
  });

  it('edit may not write task status, bind a task to a machine, or run a task as root; a task without user runs as the default user', async () => {
    const plain = await req('/namespaces/team-a/tasks', as('ann'), 'POST', { metadata: { name: 'one-off' }, spec: { template: { command: ['id', '-u'] } } });
    assert.equal(plain.status, 201, plain.text);
    assert.equal(plain.json().spec.template.user, 'nobody');
    assertError(
      await req('/namespaces/team-a/tasks', as('ann'), 'POST', { metadata: { name: 'as-root' }, spec: { template: { command: ['id'], user: 'root' } } }),
      403,
      'Forbidden',
      'user "ann" cannot create tasks/root',
      'team-a',
    );
    assertError(
      await req('/namespaces/team-a/tasks', as('ann'), 'POST', { metadata: { name: 'pinned' }, spec: { machine: 'm1', template: { command: ['id'], user: 'nobody' } } }),
      403,
      'Forbidden',
      'cannot create tasks/bind',
    );
    assertError(await req('/namespaces/team-a/tasks/one-off/status', as('ann'), 'PATCH', { status: { phase: 'Succeeded' } }), 403, 'Forbidden', 'cannot patch tasks/status');
    assertError(await req('/namespaces/team-a/services/web', as('ann'), 'PATCH', { spec: { template: { command: ['id'], user: '0' } } }), 403, 'Forbidden', 'tasks/root');
    // Scaling a service keeps its template: no root check, no default user forced into it.
    const scaled = await req('/namespaces/team-a/services/web', as('ann'), 'PATCH', { spec: { replicas: 0 } });
    assert.equal(scaled.status, 200, scaled.text);
    assert.equal(scaled.json().spec.template.user, undefined);
    // An administrator may do all of it.
    const root = await req('/namespaces/team-a/tasks', ADMIN, 'POST', { metadata: { name: 'as-root' }, spec: { machine: 'm1', template: { command: ['id'] } } });
    assert.equal(root.status, 201, root.text);
    assert.equal(root.json().spec.template.user, undefined);
  });

  it('a view-only user lists only its namespace\'s objects on the URL without one; other namespaces are 403', async () => {
    const all = (await req('/services', as('vic'))).json();
    assert.deepEqual(
      all.items.map((s: any) => s.metadata.namespace),
      all.items.map(() => 'team-a'),
    );
    assert.ok(all.items.length >= 1);
    assertError(await req('/namespaces/team-b/services', as('vic')), 403, 'Forbidden', 'user "vic" cannot list services in namespace "team-b"');
    assertError(await req('/machines', as('vic'), 'POST', { metadata: { name: 'x' } }), 403, 'Forbidden');
    assertError(await req('/namespaces/team-a/services', as('vic'), 'POST', { metadata: { name: 'x' }, spec: serviceSpec() }), 403, 'Forbidden', 'cannot create services');
    assertError(await req('/namespaces/team-a/tasks/one-off/exec', as('vic'), 'POST', { command: ['id'] }), 403, 'Forbidden', 'tasks/exec');
    // Nobody bound: nothing at all.
    assertError(await req('/services', as('mallory')), 403, 'Forbidden', 'user "mallory" cannot list services');
    // A group binding works cluster-wide.
    assert.equal((await req('/namespaces/team-b/services', as('olga', ['ops']))).status, 200);
  });

  it('a view-only user\'s watch across namespaces never sends another namespace\'s events', async () => {
    const w = await watchNdjson(`${api}/services?watch=true`, as('vic'));
    try {
      await until(() => w.events.some((e) => e.type === 'BOOKMARK'), 'the first bookmark');
      assert.deepEqual([...new Set(w.events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.namespace))], ['team-a']);
      await registry.kind('services', 'team-b').create(systemContext, { metadata: { name: 'hidden' }, spec: serviceSpec({ replicas: 0 }) });
      await registry.kind('services', 'team-a').create(systemContext, { metadata: { name: 'seen' }, spec: serviceSpec({ replicas: 0 }) });
      await until(() => w.events.some((e) => e.object?.metadata?.name === 'seen'), 'the event of team-a');
      assert.equal(w.events.filter((e) => e.object?.metadata?.name === 'hidden').length, 0, 'the event of team-b, written first, was not sent');
    } finally {
      await w.close();
    }
  });

  it('discovery and /openapi.json list only the kinds and verbs the caller may use', async () => {
    const vic = (await req('', as('vic'))).json();
    const services = vic.resources.find((r: any) => r.name === 'services');
    assert.deepEqual(services.verbs, ['get', 'list', 'watch']);
    assert.equal(vic.resources.find((r: any) => r.name === 'rolebindings'), undefined);
    assert.equal((await req('', as('mallory'))).json().resources.length, 0);
    const admin = (await req('', ADMIN)).json();
    assert.ok(admin.resources.find((r: any) => r.name === 'rolebindings').verbs.includes('create'));
    const openapi = JSON.parse((await http(`${url}/openapi.json`, { headers: as('vic') })).text);
    assert.ok(openapi.paths['/api/v1/services'].get);
    assert.equal(openapi.paths['/api/v1/services'].post, undefined);
    assert.equal(openapi.paths['/api/v1/rolebindings'], undefined);
    const adminDoc = JSON.parse((await http(`${url}/openapi.json`, { headers: ADMIN })).text);
    assert.ok(adminDoc.paths['/api/v1/services'].post && adminDoc.paths['/api/v1/namespaces/{namespace}/services'].post);
  });

  it('can-i answers from the server\'s authorizer', async () => {
    const ask = async (h: Record<string, string>, q: string) => (await http(`${api}/auth/can-i?${q}`, { headers: h })).json().status.allowed;
    assert.equal(await ask(as('ann'), 'verb=create&resource=services&namespace=team-a'), true);
    assert.equal(await ask(as('ann'), 'verb=create&resource=services&namespace=prod'), false);
    assert.equal(await ask(as('ann'), 'verb=create&resource=tasks/root&namespace=team-a'), false);
    assert.equal(await ask(ADMIN, 'verb=create&resource=tasks/root&namespace=team-a'), true);
    assert.equal((await http(`${api}/auth/can-i?verb=frob&resource=services`, { headers: as('ann') })).status, 400);
  });

  it('drover auth can-i prints yes or no from the server and exits 0 or 1', async () => {
    const canI = (...args: string[]) => drover(['--server', url, 'auth', 'can-i', ...args]);
    const yes = await canI('create', 'services', '-n', 'team-a');
    assert.deepEqual([yes.code, yes.stdout], [0, 'yes\n'], yes.stderr);
    const no = await canI('create', 'svc', '-n', 'prod');
    assert.deepEqual([no.code, no.stdout], [1, 'no\n'], no.stderr);
    const root = await canI('create', 'tasks/root', '-n', 'team-a');
    assert.deepEqual([root.code, root.stdout], [1, 'no\n'], root.stderr);
    const log = await canI('get', 'tasks/log', '-n', 'team-a');
    assert.deepEqual([log.code, log.stdout], [0, 'yes\n'], log.stderr);
  });

  it('a new RoleBinding takes effect at once, and its removal too', async () => {
    assert.equal((await req('/namespaces/prod/services', as('bob'))).status, 403);
    await registry.kind('rolebindings', 'prod').create(systemContext, { metadata: { name: 'bob' }, spec: { roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'bob' }] } });
    assert.equal((await req('/namespaces/prod/services', as('bob'))).status, 200);
    await registry.kind('rolebindings', 'prod').delete(systemContext, 'bob');
    assert.equal((await req('/namespaces/prod/services', as('bob'))).status, 403);
    // A namespaced Role with resourceNames.
    await registry.kind('roles', 'prod').create(systemContext, { metadata: { name: 'one' }, spec: { rules: [{ verbs: ['get'], resources: ['services'], resourceNames: ['only-this'] }] } });
    await registry.kind('rolebindings', 'prod').create(systemContext, { metadata: { name: 'bob-one' }, spec: { roleRef: { kind: 'Role', name: 'one' }, subjects: [{ kind: 'User', name: 'bob' }] } });
    await registry.kind('services', 'prod').create(systemContext, { metadata: { name: 'only-this' }, spec: serviceSpec({ replicas: 0 }) });
    assert.equal((await req('/namespaces/prod/services/only-this', as('bob'))).status, 200);
    assertError(await req('/namespaces/prod/services/other', as('bob')), 403, 'Forbidden', 'cannot get services "other"');
    // The built-in roles cannot be redefined.
    assertError(await req('/clusterroles', ADMIN, 'POST', { metadata: { name: 'view' }, spec: { rules: [{ verbs: ['*'], resources: ['*'] }] } }), 422, 'Invalid', 'built-in');
  });

  it("a host's writer must be allowed to read the secret the server logs in with (no borrowing another's SSH key)", async () => {
    // hal may create hosts, but reads no secret's values: naming one would make the server use a key hal cannot see.
    await registry.kind('clusterroles').create(systemContext, { metadata: { name: 'host-maker' }, spec: { rules: [{ verbs: ['*'], resources: ['hosts'] }] } });
    await registry.kind('clusterrolebindings').create(systemContext, { metadata: { name: 'hal' }, spec: { roleRef: { kind: 'ClusterRole', name: 'host-maker' }, subjects: [{ kind: 'User', name: 'hal' }] } });
    const host = { metadata: { name: 'borrowed' }, spec: { address: '192.0.2.7', credentials: { namespace: 'prod', secret: 'ssh' } } };
    assertError(await req('/hosts', as('hal'), 'POST', host), 403, 'Forbidden', 'secrets/values');
    assert.equal((await req('/hosts/borrowed', ADMIN)).status, 404, 'nothing was created');
    await registry.kind('roles', 'prod').create(systemContext, { metadata: { name: 'ssh-key' }, spec: { rules: [{ verbs: ['get'], resources: ['secrets/values'], resourceNames: ['ssh'] }] } });
    await registry.kind('rolebindings', 'prod').create(systemContext, { metadata: { name: 'hal-ssh' }, spec: { roleRef: { kind: 'Role', name: 'ssh-key' }, subjects: [{ kind: 'User', name: 'hal' }] } });
    assert.equal((await req('/hosts', as('hal'), 'POST', host)).status, 201);
    // Pointing it at another secret is checked again; relabelling it is not.
    assertError(await req('/hosts/borrowed', as('hal'), 'PATCH', { spec: { credentials: { secret: 'other' } } }), 403, 'Forbidden', 'secrets/values');
    assert.equal((await req('/hosts/borrowed', as('hal'), 'PATCH', { metadata: { labels: { a: 'b' } } })).status, 200);
  });

  describe('the node authorizer (agent principals system:node:<machine>)', () => {
    const node = (machine: string) => ctxOf(`system:node:${machine}`, ['system:nodes']);
    let onM1: Task;
    let onM2: Task;
    before(async () => {
      const tasks = registry.kind<Task>('tasks', 'team-b');
      onM1 = await tasks.create(systemContext, { metadata: { name: 'on-m1', finalizers: ['drover.io/agent'] }, spec: { machine: 'm1', template: { command: ['sleep', '1'] } } });
      onM2 = await tasks.create(systemContext, { metadata: { name: 'on-m2' }, spec: { machine: 'm2', template: { command: ['sleep', '1'] } } });
    });
    const forbidden = (err: ApiError) => err.reason === 'Forbidden';

    it('updates its own Machine and heartbeats, never another machine', async () => {
      await registry.kind('machines').patch(node('m1'), 'm1', { type: 'merge', body: { metadata: { labels: { zone: 'a' } } } });
      await registry.kind('machines').patchStatus(node('m1'), 'm1', { type: 'merge', body: { status: { address: '10.0.0.1' } } });
      await registry.heartbeat(node('m1'), 'm1');
      await assert.rejects(registry.kind('machines').patch(node('m1'), 'm2', { type: 'merge', body: { spec: { unschedulable: true } } }), forbidden);
      await assert.rejects(registry.kind('machines').patchStatus(node('m1'), 'm2', { type: 'merge', body: { status: { address: 'evil' } } }), forbidden);
      await assert.rejects(registry.heartbeat(node('m1'), 'm2'), forbidden);
      await assert.rejects(registry.kind('machines').delete(node('m1'), 'm1'), forbidden);
      await assert.rejects(registry.kind('machines').create(node('m1'), { metadata: { name: 'm3' } }), forbidden);
      assert.equal((await registry.kind('machines').find(systemContext, 'm2'))?.status?.address, undefined);
    });

    it('writes the status of tasks bound to it and removes its finalizer, nothing else', async () => {
      const tasks = registry.kind<Task>('tasks', 'team-b');
      await tasks.patchStatus(node('m1'), 'on-m1', { type: 'merge', body: { status: { phase: 'Running' } } });
      await assert.rejects(tasks.patchStatus(node('m1'), 'on-m2', { type: 'merge', body: { status: { phase: 'Succeeded' } } }), forbidden);
      assert.equal((await tasks.find(systemContext, 'on-m2'))?.status?.phase, onM2.status?.phase);
      // Reads: its lists and watches hold only the tasks bound to it; a single task only when bound to it.
      assert.deepEqual(
        tasks.list(node('m1')).map((t) => t.metadata.name),
        ['on-m1'],
      );
      assert.deepEqual(
        registry.kind<Task>('tasks').list(node('m2')).map((t) => `${t.metadata.namespace}/${t.metadata.name}`),
        ['team-b/on-m2'],
      );
      const watch = await registry.kind<Task>('tasks').watch(node('m2'), {}, undefined);
      assert.deepEqual([...watch.cache.select(watch.filter)].map((e) => e.object.metadata.name), ['on-m2']);
      await assert.rejects(registry.kind<Task>('tasks', 'team-b').watch(node('m1'), { name: 'on-m2' }, undefined), forbidden);
      await tasks.get(node('m1'), 'on-m1');
      assert.throws(() => tasks.get(node('m1'), 'on-m2'), forbidden);
      // Its own task: not the template, not the machine; only its finalizer.
      await assert.rejects(tasks.patch(node('m1'), 'on-m1', { type: 'merge', body: { spec: { template: { command: ['sh', '-c', 'evil'] } } } }), forbidden);
      await assert.rejects(tasks.patch(node('m1'), 'on-m1', { type: 'merge', body: { spec: { machine: 'm2' } } }), forbidden);
      await assert.rejects(tasks.create(node('m1'), { metadata: { name: 'planted' }, spec: { machine: 'm1', template: { command: ['id'] } } }), forbidden);
      await assert.rejects(tasks.delete(node('m1'), 'on-m2'), forbidden);
      const freed = await tasks.patch(node('m1'), 'on-m1', { type: 'merge', body: { metadata: { finalizers: [] } } });
      assert.deepEqual(freed.metadata.finalizers ?? [], []);
      assert.equal(freed.metadata.uid, onM1.metadata.uid);
    });

    it("reports many tasks' status in one request only as its own machine, and only for tasks bound to it", async () => {
      const items = [
        { namespace: 'team-b', name: 'on-m1', uid: onM1.metadata.uid, status: { phase: 'Running', pid: 7 } },
        { namespace: 'team-b', name: 'on-m2', uid: onM2.metadata.uid, status: { phase: 'Succeeded' } },
      ];
      const results = await registry.reportTaskStatus(node('m1'), 'm1', { items });
      assert.deepEqual(
        results.map((r) => [r.name, r.code]),
        [
          ['on-m1', 200],
          ['on-m2', 403],
        ],
      );
      await assert.rejects(registry.reportTaskStatus(node('m1'), 'm2', { items: [items[1]] }), forbidden);
      const tasks = registry.kind<Task>('tasks', 'team-b');
      assert.equal((await tasks.find(systemContext, 'on-m1'))?.status?.pid, 7);
      assert.equal((await tasks.find(systemContext, 'on-m2'))?.status?.phase, onM2.status?.phase);
    });

    it('no binding widens a node: even bound to admin, machine m1 cannot touch m2', async () => {
      await registry.kind('clusterrolebindings').create(systemContext, { metadata: { name: 'nodes-admin' }, spec: { roleRef: { kind: 'ClusterRole', name: 'admin' }, subjects: [{ kind: 'Group', name: 'system:nodes' }] } });
      await assert.rejects(registry.kind('machines').patch(node('m1'), 'm2', { type: 'merge', body: { spec: { unschedulable: true } } }), forbidden);
      await assert.rejects(registry.kind('services', 'team-a').create(node('m1'), { metadata: { name: 'x' }, spec: serviceSpec() }), forbidden);
      await registry.kind('clusterrolebindings').delete(systemContext, 'nodes-admin');
    });
  });
});
