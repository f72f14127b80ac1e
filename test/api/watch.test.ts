// Watches: NDJSON and SSE, the current state then changes, resuming from a revision, RFC 6902
// diffs, filtered watches where objects enter and leave, and 410 for history that is gone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsonpatch from 'fast-json-patch';
import { http } from '../helpers.js';
import { assertError, createService, createTask, MERGE, send, storeRevision, watchNdjson, watchSse, type WatchReader, useApiServer } from './support.js';

/** The next n events that are not periodic BOOKMARKs. */
async function changes<E extends { type?: string; event?: string }>(w: WatchReader<E>, n: number): Promise<E[]> {
  const out: E[] = [];
  while (out.length < n) {
    const ev = await w.next();
    if ((ev.type ?? ev.event) !== 'BOOKMARK') out.push(ev);
  }
  return out;
}

async function ok(res: Promise<{ status: number; text: string; json: () => any }>): Promise<any> {
  const r = await res;
  assert.ok(r.status >= 200 && r.status < 300, r.text);
  return r.json();
}

describe('watch', () => {
  const s = useApiServer();
  const open: WatchReader<unknown>[] = [];
  s.beforeClose(() => Promise.all(open.map((w) => w.close())));
  const ndjson = async (query: string, headers: Record<string, string> = {}) => {
    const w = await watchNdjson(`${s.api}/${query}`, headers);
    open.push(w);
    return w;
  };
  const sse = async (query: string, headers: Record<string, string> = {}) => {
    const w = await watchSse(`${s.api}/${query}`, headers);
    open.push(w);
    return w;
  };

  it('NDJSON: the current state as ADDED events in name order, a BOOKMARK, then every change in order', async () => {
    const b = await createService(s.url, 'w1-b', { labels: { group: 'w1' } });
    const a = await createService(s.url, 'w1-a', { labels: { group: 'w1' } });
    const w = await ndjson('services?watch=true&labelSelector=group%3Dw1');
    assert.equal(w.status, 200);
    assert.equal(w.res.headers.get('content-type'), 'application/x-ndjson');
    const [e1, e2, bookmark] = await w.take(3);
    assert.deepEqual(e1, { type: 'ADDED', object: a });
    assert.deepEqual(e2, { type: 'ADDED', object: b });
    assert.equal(bookmark.type, 'BOOKMARK');
    assert.equal(bookmark.object.kind, 'Service');
    assert.equal(bookmark.object.metadata.revision, await storeRevision(s.url));

    const modified = await ok(send(`${s.api}/services/w1-a`, 'PATCH', { spec: { replicas: 2 } }, MERGE));
    const deleted = await ok(http(`${s.api}/services/w1-b`, { method: 'DELETE' }));
    const added = await createService(s.url, 'w1-c', { labels: { group: 'w1' } });
    const got = await changes(w, 3);
    assert.deepEqual(got, [
      { type: 'MODIFIED', object: modified },
      { type: 'DELETED', object: deleted },
      { type: 'ADDED', object: added },
    ]);
    assert.ok(modified.metadata.revision < deleted.metadata.revision && deleted.metadata.revision < added.metadata.revision);
  });

  it('?revision=N sends only the changes after N, without the current state', async () => {
    const x1 = await createService(s.url, 'w2-x1', { labels: { group: 'w2' } });
    const x1b = await ok(send(`${s.api}/services/w2-x1`, 'PATCH', { spec: { replicas: 3 } }, MERGE));
    const x2 = await createService(s.url, 'w2-x2', { labels: { group: 'w2' } });
    const w = await ndjson(`services?watch=true&labelSelector=group%3Dw2&revision=${x1.metadata.revision}`);
    assert.deepEqual(await w.take(2), [
      { type: 'MODIFIED', object: x1b },
      { type: 'ADDED', object: x2 },
    ]);
    const x3 = await createService(s.url, 'w2-x3', { labels: { group: 'w2' } });
    assert.deepEqual(await changes(w, 1), [{ type: 'ADDED', object: x3 }]);
  });

  it('SSE (Accept: text/event-stream): event, id and data fields; the initial state carries no id to resume from', async () => {
    // Created b before a: in name order the first ADDED (a) has the higher revision, so its
    // revision would be a resume point that skips b.
    const b = await createService(s.url, 'w3-b', { labels: { group: 'w3' } });
    const a = await createService(s.url, 'w3-a', { labels: { group: 'w3' } });
    const w = await sse('services?watch=true&labelSelector=group%3Dw3');
    assert.equal(w.status, 200);
    assert.equal(w.res.headers.get('content-type'), 'text/event-stream');
    assert.equal(w.res.headers.get('cache-control'), 'no-cache');
    const [f1, f2, bookmark] = await w.take(3);
    assert.deepEqual(f1, { event: 'ADDED', id: undefined, data: { type: 'ADDED', object: a } });
    assert.deepEqual(f2, { event: 'ADDED', id: undefined, data: { type: 'ADDED', object: b } });
    const rev = await storeRevision(s.url);
    assert.deepEqual(bookmark, { event: 'BOOKMARK', id: String(rev), data: { type: 'BOOKMARK', object: { apiVersion: 'drover/v1', kind: 'Service', metadata: { revision: rev } } } });
    const modified = await ok(send(`${s.api}/services/w3-a`, 'PATCH', { spec: { replicas: 2 } }, MERGE));
    assert.deepEqual(await changes(w, 1), [{ event: 'MODIFIED', id: String(modified.metadata.revision), data: { type: 'MODIFIED', object: modified } }]);
  });

  it('SSE: Last-Event-ID resumes after that event', async () => {
    await createService(s.url, 'w4-a', { labels: { group: 'w4' } });
    const first = await sse('services?watch=true&labelSelector=group%3Dw4');
    const [, bookmark] = await first.take(2);
    assert.equal(bookmark.event, 'BOOKMARK');
    await first.close();

    // Missed while disconnected.
    const m1 = await ok(send(`${s.api}/services/w4-a`, 'PATCH', { spec: { replicas: 4 } }, MERGE));
    const m2 = await createService(s.url, 'w4-b', { labels: { group: 'w4' } });
    const resumed = await sse('services?watch=true&labelSelector=group%3Dw4', { 'last-event-id': bookmark.id! });
    assert.deepEqual(await resumed.take(2), [
      { event: 'MODIFIED', id: String(m1.metadata.revision), data: { type: 'MODIFIED', object: m1 } },
      { event: 'ADDED', id: String(m2.metadata.revision), data: { type: 'ADDED', object: m2 } },
    ]);
  });

  it('diff=true: MODIFIED events carry RFC 6902 patches that turn the previous object into the new one', async () => {
    await createService(s.url, 'w5', { labels: { group: 'w5' } });
    const w = await ndjson('services?watch=true&diff=true&labelSelector=group%3Dw5');
    const [added, bookmark] = await w.take(2);
    assert.equal(added.type, 'ADDED');
    assert.equal(bookmark.type, 'BOOKMARK');
    let previous = added.object;
    const writes = [
      () => send(`${s.api}/services/w5`, 'PATCH', { spec: { replicas: 5, template: { env: { A: 'b' } } } }, MERGE),
      () => send(`${s.api}/services/w5`, 'PATCH', { metadata: { labels: { group: 'w5', extra: 'x' } } }, MERGE),
      () => send(`${s.api}/services/w5/status`, 'PATCH', { status: { replicas: 5, readyReplicas: 2 } }, MERGE),
      () => send(`${s.api}/services/w5`, 'PATCH', { spec: { template: { env: null, command: ['other'] } } }, MERGE),
    ];
    for (const write of writes) {
      const expected = await ok(write());
      const [ev] = await changes(w, 1);
      assert.equal(ev.type, 'MODIFIED');
      assert.equal(ev.object, undefined, 'a diff event carries no whole object');
      assert.equal(ev.name, 'w5');
      assert.equal(ev.revision, expected.metadata.revision);
      assert.ok(Array.isArray(ev.patch) && ev.patch.length > 0);
      const next = jsonpatch.applyPatch(structuredClone(previous), ev.patch, true).newDocument;
      assert.deepEqual(next, expected);
      previous = next;
    }
    const deleted = await ok(http(`${s.api}/services/w5`, { method: 'DELETE' }));
    assert.deepEqual(await changes(w, 1), [{ type: 'DELETED', object: deleted }]);
  });

  it('fieldSelector watch: a task moved onto the machine arrives as ADDED, one moved away leaves as DELETED', async () => {
    const inside = await createTask(s.url, 'tk-in', 'wm1');
    await createTask(s.url, 'tk-out', 'wm2');
    const w = await ndjson('tasks?watch=true&fieldSelector=spec.machine%3Dwm1');
    const [e1, bookmark] = await w.take(2);
    assert.deepEqual(e1, { type: 'ADDED', object: inside });
    assert.equal(bookmark.type, 'BOOKMARK');

    const movedIn = await ok(send(`${s.api}/tasks/tk-out`, 'PATCH', { spec: { machine: 'wm1' } }, MERGE));
    const movedOut = await ok(send(`${s.api}/tasks/tk-in`, 'PATCH', { spec: { machine: 'wm2' } }, MERGE));
    await createTask(s.url, 'tk-elsewhere', 'wm3'); // not for this watcher
    await ok(send(`${s.api}/tasks/tk-in/status`, 'PATCH', { status: { phase: 'Running' } }, MERGE)); // left already: nothing
    const running = await ok(send(`${s.api}/tasks/tk-out/status`, 'PATCH', { status: { phase: 'Running' } }, MERGE));
    const gone = await ok(http(`${s.api}/tasks/tk-out`, { method: 'DELETE' }));
    assert.deepEqual(await changes(w, 4), [
      { type: 'ADDED', object: movedIn },
      { type: 'DELETED', object: movedOut },
      { type: 'MODIFIED', object: running },
      { type: 'DELETED', object: gone },
    ]);
    assert.deepEqual(w.pending().filter((e) => e.type !== 'BOOKMARK'), []);
  });

  it('labelSelector watch: an object whose labels start matching arrives as ADDED, and leaves as DELETED', async () => {
    await createService(s.url, 'w6');
    const w = await ndjson('services?watch=true&labelSelector=group%3Dw6');
    assert.equal((await w.next()).type, 'BOOKMARK');
    const joined = await ok(send(`${s.api}/services/w6`, 'PATCH', { metadata: { labels: { group: 'w6' } } }, MERGE));
    const left = await ok(send(`${s.api}/services/w6`, 'PATCH', { metadata: { labels: { group: null } } }, MERGE));
    assert.deepEqual(await changes(w, 2), [
      { type: 'ADDED', object: joined },
      { type: 'DELETED', object: left },
    ]);
  });

  it('a watch of one object (GET /{name}?watch=true) sends only its events', async () => {
    const one = await createService(s.url, 'w7-one');
    await createService(s.url, 'w7-two');
    const w = await ndjson('services/w7-one?watch=true');
    assert.deepEqual(await w.next(), { type: 'ADDED', object: one });
    assert.equal((await w.next()).type, 'BOOKMARK');
    await ok(send(`${s.api}/services/w7-two`, 'PATCH', { spec: { replicas: 2 } }, MERGE));
    const mine = await ok(send(`${s.api}/services/w7-one`, 'PATCH', { spec: { replicas: 2 } }, MERGE));
    assert.deepEqual(await changes(w, 1), [{ type: 'MODIFIED', object: mine }]);
  });

  it('timeoutSeconds ends the stream from the server side', async () => {
    const w = await ndjson('services?watch=true&labelSelector=group%3Dnone&timeoutSeconds=200ms');
    assert.equal((await w.next()).type, 'BOOKMARK');
    await assert.rejects(w.next(5_000), /ended/);
  });

  for (const [query, param] of [
    ['revision=soon', 'revision'],
    ['revision=999999999', 'revision'],
    ['diff=maybe', 'diff'],
    ['timeoutSeconds=forever', 'timeoutSeconds'],
    ['labelSelector=a%20in%20(', 'labelSelector'],
    ['fieldSelector=spec.bogus%3D1', 'fieldSelector'],
  ]) {
    it(`a watch with ${query} answers 400 naming ${param}`, async () => {
      assertError(await http(`${s.api}/tasks?watch=true&${query}`), 400, 'BadRequest', param);
    });
  }
});

describe('watch: history window', () => {
  const s = useApiServer({ historyEvents: 5 });

  it('a watch from a revision older than the cache window answers 410 Gone; a recent one resumes', async () => {
    const first = await createService(s.url, 'h-0');
    for (let i = 1; i < 20; i++) await createService(s.url, `h-${i}`);
    const current = await storeRevision(s.url);
    assertError(await http(`${s.api}/services?watch=true&revision=${first.metadata.revision}`), 410, 'Gone', `revision ${first.metadata.revision}`, 'list again');
    assertError(await http(`${s.api}/services?watch=true`, { headers: { accept: 'text/event-stream', 'last-event-id': '1' } }), 410, 'Gone');

    const w = await watchNdjson(`${s.api}/services?watch=true&revision=${current - 2}`);
    try {
      const events = await w.take(2);
      assert.deepEqual(
        events.map((e) => [e.type, e.object.metadata.name]),
        [
          ['ADDED', 'h-18'],
          ['ADDED', 'h-19'],
        ],
      );
    } finally {
      await w.close();
    }
  });
});
