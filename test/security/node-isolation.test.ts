// The node authorizer over real TLS, with real agents: each agent's own credentials (its
// certificate, its token) reach its own machine and the tasks bound to it, and nothing else. A
// stolen credential of agent B exposes B, never A.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent, type RunningAgent } from '../../src/agent/run.js';
import { systemContext } from '../../src/registry/index.js';
import { startTestServer, tempDir, until, type TestServer } from '../helpers.js';
import { bearer, raw, type RawOptions } from './tls.js';

interface Node {
  id: string;
  agent: RunningAgent;
  /** The agent's own credentials, as a thief would copy them from its data dir. */
  cert: string;
  key: string;
  token: string;
}

describe('agents reach only their own machine and tasks', () => {
  let s: TestServer;
  const nodes: Node[] = [];
  before(async () => {
    s = await startTestServer({ auth: true, tls: true });
    for (let i = 0; i < 2; i++) {
      const id = randomBytes(16).toString('hex');
      const dataDir = tempDir('drover-agent-');
      const join_ = await s.server.registry.credentials!.createToken(systemContext, { user: 'system:bootstrap', purpose: 'join', ttlSeconds: 600 });
      const agent = await startAgent({ server: s.url, dataDir, id, joinToken: join_.token, ca: s.server.caCert, logLevel: 'error', heartbeatMs: 500 });
      const file = (f: string) => readFileSync(join(dataDir, 'identity', f), 'utf8');
      nodes.push({ id, agent, cert: file('node.crt'), key: file('node.key'), token: file('node.token').trim() });
    }
    for (const [i, n] of nodes.entries()) {
      await until(() => s.client.machines.find(n.id), `machine ${i} to register`);
      await s.client.tasks.create({ metadata: { name: `on-${i}` }, spec: { machine: n.id, template: { command: ['sleep', '1000'] } } });
    }
    await until(async () => (await s.client.tasks.list()).items.every((t) => t.status?.phase === 'Running'), 'both tasks to run');
  });
  after(async () => {
    for (const n of nodes) await n.agent.close(true);
    await s.close();
  });

  const api = (path: string) => `${s.url}/api/v1${path}`;
  const json = { 'content-type': 'application/merge-patch+json' };
  /** A request as node `n`: with its client certificate, or with its token. */
  const as = (n: Node, how: 'cert' | 'token', opts: RawOptions = {}): RawOptions =>
    how === 'cert' ? { ...opts, ca: s.server.caCert, cert: n.cert, key: n.key } : { ...opts, ca: s.server.caCert, headers: { ...opts.headers, ...bearer(n.token) } };

  for (const how of ['cert', 'token'] as const) {
    it(`with agent A's ${how}: its own machine and task, yes; machine B and B's task, no`, async () => {
      const [a, b] = nodes as [Node, Node];
      // Its own: read its task, write its task's status and its machine's.
      assert.equal((await raw(api('/tasks/on-0'), as(a, how))).status, 200);
      assert.equal((await raw(api('/tasks/on-0/status'), as(a, how, { method: 'PATCH', headers: json, body: '{"status":{"message":"mine"}}' }))).status, 200);
      assert.equal((await raw(api(`/machines/${a.id}/status`), as(a, how, { method: 'PATCH', headers: json, body: '{"status":{}}' }))).status, 200);
      // B's: every door shut, and the answers are 403, not 404 (the caller is known).
      const refused = [
        ['GET', api('/tasks/on-1'), undefined],
        ['PATCH', api('/tasks/on-1/status'), '{"status":{"phase":"Succeeded"}}'],
        ['GET', api('/tasks/on-1/secrets'), undefined],
        ['POST', api('/tasks/on-1/kill'), '{}'],
        ['PATCH', api(`/machines/${b.id}/status`), '{"status":{"agentEndpoint":"https://127.0.0.1:1"}}'],
        ['PATCH', api(`/machines/${b.id}`), '{"spec":{"unschedulable":true}}'],
        ['POST', api(`/machines/${b.id}/heartbeat`), '{}'],
        ['POST', api('/services'), '{"metadata":{"name":"evil"},"spec":{"replicas":1,"template":{"command":["id"]}}}'],
        ['POST', api('/tasks'), '{"spec":{"machine":"' + a.id + '","template":{"command":["id"]}}}'],
        ['GET', api('/secrets'), undefined],
      ] as const;
      for (const [method, url, body] of refused) {
        const headers = method === 'PATCH' ? json : { 'content-type': 'application/json' };
        const r = await raw(url, as(a, how, { method, headers, ...(body ? { body } : {}) }));
        assert.equal(r.status, 403, `${method} ${url}: ${r.status} ${r.text}`);
      }
      // Its task list holds its own task only.
      const listed = JSON.parse((await raw(api('/tasks'), as(a, how))).text).items.map((t: { metadata: { name: string } }) => t.metadata.name);
      assert.deepEqual(listed, ['on-0']);
      // Nothing changed on B's side.
      const bTask = await s.client.tasks.get('on-1');
      assert.equal(bTask.status?.phase, 'Running');
      assert.notEqual((await s.client.machines.get(b.id)).status?.agentEndpoint, 'https://127.0.0.1:1');
    });
  }

  it("an agent removes its finalizer from the tasks a deleted service owned, and they go (the controller's key order is not the agent's)", async () => {
    await s.client.services.create({ metadata: { name: 'owned' }, spec: { replicas: 2, template: { command: ['sleep', '1000'] } } });
    await until(async () => {
      const ts = (await s.client.tasks.list()).items.filter((t) => t.metadata.name.startsWith('owned-'));
      return ts.length === 2 && ts.every((t) => t.status?.phase === 'Running');
    }, "the service's tasks to run");
    await s.client.services.delete('owned');
    let left: string[] = [];
    await until(async () => {
      left = (await s.client.tasks.list()).items.filter((t) => t.metadata.name.startsWith('owned-')).map((t) => `${t.metadata.name} ${t.status?.phase}`);
      return left.length === 0;
    }, () => `the owned tasks to be gone (left: ${left.join(', ')})`, 15_000);
  });

  it("B's stolen token exposes B's task, never A's", async () => {
    const [, b] = nodes as [Node, Node];
    assert.equal((await raw(api('/tasks/on-1'), as(b, 'token'))).status, 200);
    assert.equal((await raw(api('/tasks/on-0'), as(b, 'token'))).status, 403);
  });

  it('an agent records events about its own tasks only: creates and bumps them, never reads or writes another machine\'s', async () => {
    const [a, b] = nodes as [Node, Node];
    const now = new Date().toISOString();
    const event = (task: string, name: string) =>
      JSON.stringify({ metadata: { name }, spec: { involvedObject: { kind: 'Task', name: task, namespace: 'default' }, reason: 'Probe', message: 'x', type: 'Normal', count: 1, firstTimestamp: now, lastTimestamp: now, source: { component: 'agent' } } });
    const post = (n: Node, body: string) => raw(api('/events'), as(n, 'token', { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
    assert.equal((await post(a, event('on-0', 'a-own'))).status, 201);
    const refused = await post(a, event('on-1', 'a-about-b'));
    assert.equal(refused.status, 403, refused.text);
    assert.match(refused.text, /only record events about the tasks bound to it/);
    assert.equal((await post(a, JSON.stringify({ ...JSON.parse(event('on-0', 'a-svc')), spec: { ...JSON.parse(event('on-0', 'x')).spec, involvedObject: { kind: 'Service', name: 'on-0' } } }))).status, 403, 'only tasks');
    assert.equal((await post(b, event('on-1', 'b-own'))).status, 201);
    // A bumps its own event; B's it may neither read nor change.
    const own = JSON.parse((await raw(api('/events/a-own'), as(a, 'token'))).text);
    own.spec.count = 2;
    assert.equal((await raw(api('/events/a-own'), as(a, 'token', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(own) }))).status, 200);
    assert.equal((await raw(api('/events/b-own'), as(a, 'token'))).status, 403);
    assert.equal((await raw(api('/events/b-own'), as(a, 'token', { method: 'PATCH', headers: json, body: '{"spec":{"count":9}}' }))).status, 403);
    assert.equal((await raw(api('/events/a-own'), as(a, 'token', { method: 'DELETE' }))).status, 403);
    assert.equal((await s.client.events.get('b-own')).spec.count, 1);
    assert.equal((await s.client.events.get('a-own')).spec.count, 2);
    assert.equal(await s.client.events.find('a-about-b'), undefined);
    // Many at once: each item is judged on its own; another machine's report route is shut.
    const batch = (n: Node, machine: string, items: string[]) =>
      raw(api(`/machines/${machine}/events`), as(n, 'token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"items":[${items.join(',')}]}` }));
    const mixed = await batch(a, a.id, [event('on-0', 'a-batched'), event('on-1', 'a-batched-about-b')]);
    assert.equal(mixed.status, 200, mixed.text);
    assert.deepEqual(
      JSON.parse(mixed.text).items.map((i: { name: string; code: number }) => [i.name, i.code]),
      [
        ['a-batched', 201],
        ['a-batched-about-b', 403],
      ],
    );
    assert.equal((await batch(a, b.id, [event('on-0', 'a-via-b')])).status, 403);
    assert.equal((await s.client.events.get('a-batched')).spec.reason, 'Probe');
    assert.equal(await s.client.events.find('a-batched-about-b'), undefined);
    assert.equal(await s.client.events.find('a-via-b'), undefined);
  });
});
