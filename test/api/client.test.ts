// The typed client against a real server: every verb, errors as ApiError, and watches that
// resume where they left off when the connection drops.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ApiError, Client, ConnectionError, type Service, type WatchEvent } from '../../src/client/index.js';
import { watchStream } from '../../src/client/watch.js';
import { startServer } from '../../src/server.js';
import { startTestServer, tempDir, until } from '../helpers.js';
import { useApiServer } from './support.js';

const template = { command: ['sleep', '1000'] };

/** Consumes a watch in the background; `events` fills as they arrive. */
function collect<T extends WatchEvent>(iterator: AsyncGenerator<T>): { events: T[]; done: Promise<unknown> } {
  const events: T[] = [];
  const done = (async () => {
    for await (const ev of iterator) events.push(ev);
  })();
  return { events, done };
}

const changesOf = (events: WatchEvent[]) => events.filter((e) => e.type !== 'BOOKMARK').map((e) => [e.type, e.object.metadata.name, e.revision]);

describe('typed client', () => {
  const s = useApiServer();

  it('create, get, find, list, replace, patch, status and delete', async () => {
    const created: Service = await s.client.services.create({ metadata: { name: 'c-web', labels: { app: 'web' } }, spec: { template } });
    assert.equal(created.metadata.name, 'c-web');
    assert.equal(created.spec.replicas, 1);
    assert.deepEqual(await s.client.services.get('c-web'), created);
    assert.deepEqual(await s.client.services.find('c-web'), created);
    assert.equal(await s.client.services.find('c-none'), undefined);

    const listed = await s.client.services.list({ labelSelector: 'app=web' });
    assert.equal(listed.kind, 'ServiceList');
    assert.deepEqual(listed.items, [created]);

    const replaced = await s.client.services.replace({ metadata: { name: 'c-web', labels: { app: 'web' } }, spec: { template, replicas: 2 } });
    assert.equal(replaced.created, false);
    assert.equal(replaced.object.spec.replicas, 2);
    const fresh = await s.client.services.replace({ metadata: { name: 'c-new' }, spec: { template } });
    assert.equal(fresh.created, true);

    const merged = await s.client.services.patch('c-web', { spec: { replicas: 3 } });
    assert.equal(merged.spec.replicas, 3);
    const jsonPatched = await s.client.services.patch('c-web', [{ op: 'replace', path: '/spec/replicas', value: 4 }], { type: 'json', ifMatch: merged.metadata.revision });
    assert.equal(jsonPatched.spec.replicas, 4);

    const status = await s.client.services.replaceStatus('c-web', { replicas: 4, readyReplicas: 1 });
    assert.deepEqual(status.status, { replicas: 4, readyReplicas: 1 });
    const patchedStatus = await s.client.services.patchStatus('c-web', { readyReplicas: 4 });
    assert.deepEqual(patchedStatus.status, { replicas: 4, readyReplicas: 4 });
    assert.equal(patchedStatus.spec.replicas, 4);

    const deleted = await s.client.services.delete('c-web', { ifMatch: patchedStatus.metadata.revision });
    assert.equal(deleted.metadata.uid, created.metadata.uid);
    assert.equal(await s.client.services.find('c-web'), undefined);

    const task = await s.client.tasks.create({ spec: { template: { command: ['true'] } } });
    assert.match(task.metadata.name, /^task-/);
    assert.ok((await s.client.version()).version);
  });

  it('listAll follows nextPageToken through every page', async () => {
    for (let i = 0; i < 7; i++) await s.client.machines.create({ metadata: { name: `c-m${i}` } });
    const all = await s.client.machines.listAll({ limit: 2, labelSelector: '' });
    assert.deepEqual(
      all.items.map((m) => m.metadata.name),
      Array.from({ length: 7 }, (_, i) => `c-m${i}`),
    );
    assert.equal(all.metadata.nextPageToken, undefined);
  });

  it('errors surface as ApiError with the envelope code, reason, message and details', async () => {
    await assert.rejects(s.client.services.get('c-missing'), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 404);
      assert.equal(err.reason, 'NotFound');
      assert.equal(err.message, 'service "c-missing" not found');
      return true;
    });
    await assert.rejects(s.client.services.create({ metadata: { name: 'c-bad' }, spec: { template, replicas: -1 } }), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 422);
      assert.equal(err.reason, 'Invalid');
      assert.deepEqual(err.details?.map((d) => d.path), ['/spec/replicas']);
      return true;
    });
    const svc = await s.client.services.create({ metadata: { name: 'c-pre' }, spec: { template } });
    await s.client.services.patch('c-pre', { spec: { replicas: 2 } });
    await assert.rejects(s.client.services.patch('c-pre', { spec: { replicas: 3 } }, { ifMatch: svc.metadata.revision }), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 412);
      assert.equal(err.reason, 'PreconditionFailed');
      return true;
    });
  });

  it('an unreachable server is a ConnectionError; a second URL is tried', async () => {
    const dead = 'http://127.0.0.1:1';
    await assert.rejects(new Client({ server: dead, timeoutMs: 2_000 }).version(), ConnectionError);
    const failover = new Client({ server: [dead, s.url] });
    assert.ok((await failover.version()).version);
    assert.equal(failover.server, s.url);
  });

  it('watch yields the current state, a BOOKMARK, then changes; with revision only later changes; diff gives patches', async () => {
    const abort = new AbortController();
    const base = await s.client.services.create({ metadata: { name: 'c-w1', labels: { w: 'c' } }, spec: { template } });
    const all = collect(s.client.services.watch({ labelSelector: 'w=c', signal: abort.signal }));
    const fromRev = collect(s.client.services.watch({ labelSelector: 'w=c', revision: base.metadata.revision, signal: abort.signal }));
    const diffs = collect(s.client.services.watch({ name: 'c-w1', diff: true, signal: abort.signal }));
    await until(() => all.events.some((e) => e.type === 'BOOKMARK') && diffs.events.some((e) => e.type === 'BOOKMARK'), 'the initial BOOKMARKs');
    const modified = await s.client.services.patch('c-w1', { spec: { replicas: 2 } });
    const added = await s.client.services.create({ metadata: { name: 'c-w2', labels: { w: 'c' } }, spec: { template } });
    await until(() => changesOf(all.events).length === 3 && changesOf(fromRev.events).length === 2 && changesOf(diffs.events).length === 2, 'the changes');
    abort.abort();
    await Promise.all([all.done, fromRev.done, diffs.done]);

    assert.deepEqual(changesOf(all.events), [
      ['ADDED', 'c-w1', base.metadata.revision],
      ['MODIFIED', 'c-w1', modified.metadata.revision],
      ['ADDED', 'c-w2', added.metadata.revision],
    ]);
    assert.deepEqual(all.events.find((e) => e.type === 'MODIFIED')!.object, modified);
    assert.deepEqual(changesOf(fromRev.events), changesOf(all.events).slice(1));
    const patch = diffs.events.find((e) => e.type === 'MODIFIED')!;
    assert.ok(patch.patch?.some((op) => (op as { path: string }).path === '/spec/replicas'));
  });

  it('a watch of a kind the server does not serve fails with its ApiError', async () => {
    const it = s.client.resource('widgets').watch();
    await assert.rejects(it.next(), (err: unknown) => err instanceof ApiError && err.code === 404);
  });
});

describe('typed client: operations', () => {
  it('create with wait answers the finished Operation', async () => {
    const s = await startTestServer(); // with controllers: the operations controller does the work
    try {
      const op = await s.client.operations.create({ spec: { type: 'Compact' } }, { wait: '5s' });
      assert.equal(op.status.phase, 'Succeeded');
      assert.deepEqual(await s.client.operations.get(op.metadata.name), op);
    } finally {
      await s.close();
    }
  });
});

describe('typed client: watch resumes after the connection drops', () => {
  it('resumes from the last revision on a restarted server: no event lost, none repeated', async () => {
    const dir = tempDir();
    let server = await startServer({ listen: '127.0.0.1:0', dataDir: dir, logLevel: 'error', controllers: false });
    const port = new URL(server.url).port;
    const client = new Client({ server: server.url });
    const abort = new AbortController();
    const watch = collect(client.services.watch({ signal: abort.signal }));
    try {
      await until(() => watch.events.some((e) => e.type === 'BOOKMARK'), 'the initial BOOKMARK');
      const a = await client.services.create({ metadata: { name: 'r-a' }, spec: { template } });
      await until(() => changesOf(watch.events).length === 1, 'the first change');

      await server.close(); // ends the watch stream from the server side
      server = await startServer({ listen: `127.0.0.1:${port}`, dataDir: dir, logLevel: 'error', controllers: false });
      const b = await client.services.create({ metadata: { name: 'r-b' }, spec: { template } });
      const a2 = await client.services.patch('r-a', { spec: { replicas: 2 } });
      await until(() => changesOf(watch.events).length >= 3, 'the changes made after the restart');

      assert.deepEqual(changesOf(watch.events), [
        ['ADDED', 'r-a', a.metadata.revision],
        ['ADDED', 'r-b', b.metadata.revision],
        ['MODIFIED', 'r-a', a2.metadata.revision],
      ]);
    } finally {
      abort.abort();
      await watch.done;
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a drop during the initial state reopens from the current state, not from a revision inside it', async () => {
    // The initial ADDED events come in name order, so their revisions are no resume point: here
    // "a" (revision 5) comes before "b" (revision 2), and resuming from 5 would lose "b".
    const bodies = [
      '{"type":"ADDED","object":{"metadata":{"name":"a","revision":5}}}\n',
      '{"type":"ADDED","object":{"metadata":{"name":"a","revision":5}}}\n{"type":"ADDED","object":{"metadata":{"name":"b","revision":2}}}\n{"type":"BOOKMARK","object":{"metadata":{"revision":6}}}\n',
      '{"type":"ADDED","object":{"metadata":{"name":"c","revision":7}}}\n',
    ];
    const opened: (number | undefined)[] = [];
    const it = watchStream({
      backoffMs: [1, 1],
      open: async (revision) => {
        opened.push(revision);
        return new Response(bodies.shift() ?? '');
      },
    });
    const seen: [string, string | undefined][] = [];
    for (let i = 0; i < 5; i++) {
      const { value } = await it.next();
      seen.push([value!.type, value!.object.metadata?.name]);
    }
    await it.return(undefined);
    assert.deepEqual(opened, [undefined, undefined, 6]);
    assert.deepEqual(seen, [
      ['ADDED', 'a'],
      ['ADDED', 'a'],
      ['ADDED', 'b'],
      ['BOOKMARK', undefined],
      ['ADDED', 'c'],
    ]);
  });

  it('events split across chunks, several per chunk and blank keep-alive lines parse; ERROR resumes from its revision', async () => {
    const enc = new TextEncoder();
    const ev = (name: string, revision: number) => `{"type":"ADDED","object":{"metadata":{"name":"${name}","revision":${revision}}},"revision":${revision}}\n`;
    const first = ev('x', 10) + '\n \r\n' + ev('y', 11) + ev('z', 12);
    // Cut in the middle of events (and of a multi-byte character in the next body).
    const chunks = [first.slice(0, 7), first.slice(7, 70), first.slice(70), '{"type":"ERROR","object":{"metadata":{"revision":12},"error":{"code":410,"message":"too slow"}}}\n', ev('never', 99)];
    const second = enc.encode(ev('ünï', 13));
    const bodies = [
      new ReadableStream<Uint8Array>({ start: (c) => (chunks.forEach((k) => c.enqueue(enc.encode(k))), c.close()) }),
      new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(second.slice(0, 50)), c.enqueue(second.slice(50)), c.close()) }),
    ];
    const opened: (number | undefined)[] = [];
    const it = watchStream({
      revision: 9,
      backoffMs: [1, 1],
      open: async (revision) => {
        opened.push(revision);
        return new Response(bodies.shift() ?? '');
      },
    });
    const names: string[] = [];
    for (let i = 0; i < 4; i++) names.push((await it.next()).value!.object.metadata.name);
    await it.return(undefined);
    assert.deepEqual(names, ['x', 'y', 'z', 'ünï'], 'nothing after the ERROR of the first stream');
    assert.deepEqual(opened, [9, 12]);
  });
});
