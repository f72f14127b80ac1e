// POST /api/v1/machines/{machine}/events: many events in one request, each created as POST
// …/events would and answered on its own; and the agent's event sink, whose creates of one turn
// share such a request, falling back to one POST each on a server without the route.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '../../src/client/client.js';
import { clientEventSink } from '../../src/events/client-sink.js';
import { EventRecorder } from '../../src/events/recorder.js';
import { http } from '../helpers.js';
import { assertError, createTask, olderServer, requests, send, storeRevision, useApiServer } from './support.js';

const ROUTE = '/api/v1/machines/:name/events';

function event(name: string, task: string, extra: Record<string, unknown> = {}) {
  const now = new Date().toISOString();
  return {
    apiVersion: 'drover/v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    spec: { involvedObject: { kind: 'Task', name: task, namespace: 'default' }, reason: 'Started', message: `started ${task}`, type: 'Normal', count: 1, firstTimestamp: now, lastTimestamp: now, source: { component: 'agent', machine: 'ev-m1' } },
    ...extra,
  };
}

describe('events recorded many in one request', () => {
  const s = useApiServer();
  const report = (machine: string, body: unknown) => send(`${s.api}/machines/${machine}/events`, 'POST', body);
  const machine = async (name: string) => assert.equal((await send(`${s.api}/machines`, 'POST', { metadata: { name } })).status, 201);

  it('creates each item as its own event: a new one is 201, a taken name 409, an invalid one or one in a missing namespace is refused alone', async () => {
    await machine('ev-m1');
    await createTask(s.url, 'ev-t1', 'ev-m1');
    assert.equal((await send(`${s.api}/namespaces/default/events`, 'POST', event('ev-taken', 'ev-t1'))).status, 201);
    const res = await report('ev-m1', {
      items: [
        event('ev-a', 'ev-t1'),
        event('ev-taken', 'ev-t1'),
        event('ev-bad', 'ev-t1', { color: 'red' }),
        { ...event('ev-elsewhere', 'ev-t1'), metadata: { name: 'ev-elsewhere', namespace: 'no-such-namespace' } },
        event('ev-b', 'ev-t1'),
      ],
    });
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.equal(body.kind, 'EventReport');
    assert.deepEqual(
      body.items.map((i: { name: string; code: number }) => [i.name, i.code]),
      [
        ['ev-a', 201],
        ['ev-taken', 409],
        ['ev-bad', 422],
        ['ev-elsewhere', 404],
        ['ev-b', 201],
      ],
    );
    assert.match(body.items[2].message, /color/);
    const a = (await http(`${s.api}/namespaces/default/events/ev-a`)).json();
    assert.equal(a.spec.reason, 'Started');
    assert.equal(body.items[0].revision, a.metadata.revision);
    assert.equal((await http(`${s.api}/namespaces/default/events/ev-b`)).status, 200);
    assert.equal((await http(`${s.api}/namespaces/default/events/ev-bad`)).status, 404, 'an invalid item writes nothing');
  });

  it('refuses a malformed report, an unknown machine or too many items with a 4xx, and writes nothing', async () => {
    await machine('ev-m2');
    const good = event('ev-good', 'ev-t1');
    const before = await storeRevision(s.url);
    assertError(await report('ev-m2', { items: [] }), 400, 'BadRequest', 'items');
    assertError(await report('ev-m2', { items: [good], extra: 1 }), 400, 'BadRequest', '"extra"');
    assertError(await report('ev-m2', { items: [good, 'Started'] }), 400, 'BadRequest', 'items[1]');
    assertError(await report('ev-m2', { items: [{ ...good, metadata: { name: 'x', namespace: 7 } }] }), 400, 'BadRequest', 'items[0].metadata.namespace');
    assertError(await report('ev-m2', [good]), 400, 'BadRequest', 'object');
    assertError(await report('ev-m2', { items: Array.from({ length: 1001 }, () => good) }), 400, 'BadRequest', 'at most 1000');
    assertError(await report('ev-nowhere', { items: [good] }), 404, 'NotFound', 'machine "ev-nowhere"');
    assertError(await report('bad%20name', { items: [good] }), 400, 'BadRequest');
    assert.equal((await http(`${s.api}/machines/ev-m2/events`)).status, 405);
    assert.equal(await storeRevision(s.url), before, 'nothing was written');
  });

  it('creates every item of a report bigger than the server takes at once (the rest wait their turn)', async () => {
    await machine('ev-m5');
    await createTask(s.url, 'ev-m5-t', 'ev-m5');
    const items = Array.from({ length: 600 }, (_, i) => event(`ev-many-${i}`, 'ev-m5-t'));
    const res = await report('ev-m5', { items });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(new Set(res.json().items.map((i: { code: number }) => i.code)), new Set([201]));
    const listed = (await http(`${s.api}/namespaces/default/events?fieldSelector=spec.involvedObject.name=ev-m5-t`)).json();
    assert.equal(listed.items.length, 600);
  });

  it("sends an agent's burst of events as one request, and a repeat of one as a count", async () => {
    await machine('ev-m3');
    const tasks = [];
    for (let i = 0; i < 25; i++) tasks.push(await createTask(s.url, `ev-m3-t${i}`, 'ev-m3'));
    const batches = await requests(s.url, 'POST', ROUTE);
    const singles = await requests(s.url, 'POST', '/api/v1/namespaces/:namespace/events');
    const errors: unknown[] = [];
    const recorder = new EventRecorder({ sink: clientEventSink(new Client({ server: s.url }), 'ev-m3'), source: { component: 'agent', machine: 'ev-m3' }, onError: (err) => errors.push(err), maxInFlight: 100 });
    for (const t of tasks) recorder.record({ kind: 'Task', name: t.metadata.name, namespace: 'default', uid: t.metadata.uid }, 'Normal', 'Started', 'started');
    await recorder.drained();
    assert.deepEqual(errors, []);
    assert.equal((await requests(s.url, 'POST', ROUTE)) - batches, 1, 'one request for the 25 events');
    assert.equal((await requests(s.url, 'POST', '/api/v1/namespaces/:namespace/events')) - singles, 0);
    const listed = (await http(`${s.api}/namespaces/default/events?fieldSelector=spec.involvedObject.name=ev-m3-t7`)).json();
    assert.deepEqual(
      listed.items.map((e: { spec: { reason: string; count: number } }) => [e.spec.reason, e.spec.count]),
      [['Started', 1]],
    );
    // The same event again: the existing one's count goes up (the batch answers 409, the update follows).
    recorder.record({ kind: 'Task', name: 'ev-m3-t7', namespace: 'default', uid: tasks[7].metadata.uid }, 'Normal', 'Started', 'started');
    await recorder.drained();
    const again = (await http(`${s.api}/namespaces/default/events?fieldSelector=spec.involvedObject.name=ev-m3-t7`)).json();
    assert.deepEqual(again.items.map((e: { spec: { count: number } }) => e.spec.count), [2]);
    recorder.close();
  });

  it('falls back to one POST per event on a server without the batch route', async () => {
    await machine('ev-m4');
    const tasks = [];
    for (let i = 0; i < 4; i++) tasks.push(await createTask(s.url, `ev-m4-t${i}`, 'ev-m4'));
    const older = await olderServer(s.url, '/machines/ev-m4/events');
    try {
      const singles = await requests(s.url, 'POST', '/api/v1/namespaces/:namespace/events');
      const errors: unknown[] = [];
      const recorder = new EventRecorder({ sink: clientEventSink(new Client({ server: older.url }), 'ev-m4'), source: { component: 'agent', machine: 'ev-m4' }, onError: (err) => errors.push(err) });
      for (const t of tasks) recorder.record({ kind: 'Task', name: t.metadata.name, namespace: 'default', uid: t.metadata.uid }, 'Normal', 'Started', 'started');
      await recorder.drained();
      assert.deepEqual(errors, []);
      assert.equal((await requests(s.url, 'POST', '/api/v1/namespaces/:namespace/events')) - singles, 4);
      for (const t of tasks) {
        const listed = (await http(`${s.api}/namespaces/default/events?fieldSelector=spec.involvedObject.name=${t.metadata.name}`)).json();
        assert.equal(listed.items.length, 1, t.metadata.name);
      }
      recorder.close();
    } finally {
      await new Promise((r) => older.server.close(r));
    }
  });
});
