import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnyObject, KindInfo } from './object.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { decode, encode } from './resources.js';
import { CacheEvent, Entry, TooOldError, WatchCache, type EventType } from './watch-cache.js';

const info: KindInfo = {
  kind: 'Task',
  plural: 'tasks',
  fields: { 'metadata.name': (o) => o.metadata.name, 'spec.machine': (o) => o.spec.machine ?? '' },
  indexes: ['spec.machine'],
};

function task(name: string, revision: number, machine?: string, labels: Record<string, string> = {}): AnyObject {
  return {
    apiVersion: 'drover/v1',
    kind: 'Task',
    metadata: { name, uid: name, revision, generation: 1, labels, createdAt: '', updatedAt: '' },
    spec: machine ? { machine } : {},
    status: {},
  };
}

function recorder() {
  const seen: [EventType | 'BOOKMARK', string, number][] = [];
  return {
    seen,
    sink: {
      send: (ev: { name: string; revision: number }, type: EventType) => seen.push([type, ev.name, ev.revision]),
      bookmark: (r: number) => seen.push(['BOOKMARK', '', r]),
    },
  };
}

describe('watch cache', () => {
  it('keeps a history bounded in bytes: churn of big objects drops the oldest events, and resumes from there answer too old', () => {
    const c = new WatchCache(info, { historyBytes: 10_000 });
    c.reset([], 1);
    for (let r = 2; r <= 101; r++) c.apply('ADDED', task(`t${r}`, r), r, 1_000);
    assert.ok(c.oldestRevision > 90, `history kept from ${c.oldestRevision}: about 10,000 bytes' worth`);
    assert.throws(() => c.subscribe({}, recorder().sink, 50), TooOldError);
    const recent = recorder();
    c.subscribe({}, recent.sink, 99);
    assert.deepEqual(recent.seen.filter(([t]) => t !== 'BOOKMARK').map(([, n]) => n), ['t100', 't101']);
  });

  it('replace turns a fresh list into the events a watcher missed, at the list revision, and resumes still work', () => {
    const c = new WatchCache(info);
    c.reset([task('a', 1), task('b', 2), task('c', 3)], 3);
    const live = recorder();
    c.subscribe({}, live.sink, 3);
    c.replace([task('a', 1), task('b', 7), task('d', 8)], 9);
    assert.deepEqual(live.seen, [
      ['MODIFIED', 'b', 9],
      ['ADDED', 'd', 9],
      ['DELETED', 'c', 9],
    ]);
    assert.equal(c.revision, 9);
    assert.deepEqual([...c.select({})].map((e) => [e.object.metadata.name, e.revision]), [['a', 1], ['b', 7], ['d', 8]]);
    const resumed = recorder();
    c.subscribe({}, resumed.sink, 3);
    assert.deepEqual(resumed.seen, live.seen);
  });

  it('a resume from a revision the cache has not reached yet skips what it delivers up to there', () => {
    const c = new WatchCache(info);
    c.reset([task('a', 1)], 1);
    const r = recorder();
    c.subscribe({}, r.sink, 3);
    const apply = (type: EventType, o: AnyObject) => (c.apply(type, o, o.metadata.revision), c.advance(o.metadata.revision));
    apply('ADDED', task('b', 2));
    c.bookmarkAll();
    apply('DELETED', task('b', 3));
    apply('MODIFIED', task('a', 4));
    c.bookmarkAll();
    assert.deepEqual(r.seen, [
      ['MODIFIED', 'a', 4],
      ['BOOKMARK', '', 4],
    ]);
  });

  it('sends the current state then a bookmark, then changes in order', () => {
    const c = new WatchCache(info);
    c.reset([task('b', 1), task('a', 2)], 2);
    const r = recorder();
    c.subscribe({}, r.sink);
    c.apply('MODIFIED', task('a', 3, 'm1'), 3);
    c.apply('DELETED', task('b', 4), 4);
    assert.deepEqual(r.seen, [
      ['ADDED', 'a', 2],
      ['ADDED', 'b', 1],
      ['BOOKMARK', '', 2],
      ['MODIFIED', 'a', 3],
      ['DELETED', 'b', 4],
    ]);
  });

  it('resumes from a revision with only the later events', () => {
    const c = new WatchCache(info);
    c.reset([], 10);
    for (let i = 11; i <= 15; i++) c.apply('ADDED', task(`t${i}`, i), i);
    const r = recorder();
    c.subscribe({}, r.sink, 13);
    assert.deepEqual(
      r.seen.map((s) => s[1]),
      ['t14', 't15'],
    );
  });

  it('refuses to resume from before its window', () => {
    const c = new WatchCache(info, { historyEvents: 10 });
    c.reset([], 1);
    for (let i = 2; i <= 40; i++) c.apply('ADDED', task(`t${i}`, i), i);
    assert.throws(() => c.subscribe({}, recorder().sink, 5), TooOldError);
    assert.doesNotThrow(() => c.subscribe({}, recorder().sink, 39));
  });

  it('turns moves across a field selector into ADDED and DELETED, via the index', () => {
    const c = new WatchCache(info);
    c.reset([task('t', 1)], 1);
    const m1 = recorder();
    const m2 = recorder();
    c.subscribe({ fields: parseFieldSelector('spec.machine=m1', ['spec.machine']) }, m1.sink, 1);
    c.subscribe({ fields: parseFieldSelector('spec.machine=m2', ['spec.machine']) }, m2.sink, 1);
    c.apply('MODIFIED', task('t', 2, 'm1'), 2);
    c.apply('MODIFIED', task('t', 3, 'm1'), 3);
    c.apply('MODIFIED', task('t', 4, 'm2'), 4);
    assert.deepEqual(m1.seen, [
      ['ADDED', 't', 2],
      ['MODIFIED', 't', 3],
      ['DELETED', 't', 4],
    ]);
    assert.deepEqual(m2.seen, [['ADDED', 't', 4]]);
  });

  it('filters by label selector and serves sorted pages from the index', () => {
    const c = new WatchCache(info);
    c.reset(
      [task('c', 1, 'm1', { app: 'web' }), task('a', 2, 'm1', { app: 'web' }), task('b', 3, 'm2', { app: 'db' })],
      3,
    );
    const web = [...c.select({ labels: parseLabelSelector('app=web') })].map((e) => e.object.metadata.name);
    assert.deepEqual(web, ['a', 'c']);
    const onM1 = [...c.select({ fields: parseFieldSelector('spec.machine=m1', ['spec.machine']) }, 'a')].map((e) => e.object.metadata.name);
    assert.deepEqual(onM1, ['c']);
  });

  it('stops delivering after close', () => {
    const c = new WatchCache(info);
    c.reset([], 1);
    const r = recorder();
    const sub = c.subscribe({}, r.sink, 1);
    sub.close();
    c.apply('ADDED', task('x', 2), 2);
    assert.equal(r.seen.length, 0);
    assert.equal(c.watchers, 0);
  });

  it('serves an object as its stored text with the revision put in, byte for byte what JSON.stringify gives, whatever its strings hold', () => {
    const tricky = [
      task('a', 7),
      { apiVersion: 'drover/v1', kind: 'Task', metadata: { name: 'b', labels: { 'x"metadata":{': '}]"\\' }, annotations: { note: '{"metadata":{"revision":1}}' }, revision: 9 }, spec: { metadata: { k: '}' } }, status: {} },
      { metadata: { revision: 3 }, kind: 'Odd', spec: { text: 'ünïcödé \u2028 \n "quoted"' } },
      { kind: 'Event', spec: { message: '"metadata":{' }, metadata: { name: 'e', namespace: 'n', revision: 12 } },
    ] as unknown as AnyObject[];
    for (const written of tricky) {
      // As the cache gets it: the store's value, decoded with the store's revision (set last in metadata).
      const stored = encode(written);
      const object = decode(stored, written.metadata.revision);
      const entry = new Entry(object, stored.length, stored);
      assert.equal(entry.encode().toString(), JSON.stringify(object));
      assert.equal(entry.json.toString(), JSON.stringify(object));
      assert.deepEqual(JSON.parse(entry.json.toString()), object);
    }
    // A deleted object's last state, stamped with the delete's revision, from its stored text.
    const c = new WatchCache(info);
    const stored = encode(task('d', 4, 'm1'));
    c.reset([decode(stored, 4)], 4, [stored]);
    const seen: string[] = [];
    c.subscribe({}, { send: (ev) => seen.push(ev.entry.encode().toString()), bookmark: () => {} }, 4);
    c.apply('DELETED', c.get('d')!.object, 5);
    assert.deepEqual(seen.map((j) => JSON.parse(j).metadata.revision), [5]);
    const last = decode(stored, 4);
    assert.equal(seen[0], JSON.stringify({ ...last, metadata: { ...last.metadata, revision: 5 } }));
  });

  it('keeps no encodings or stored text in history once an event went out, and a resume still gets the same bytes', () => {
    const c = new WatchCache(info);
    const v1 = encode(task('a', 2, 'm1'));
    c.reset([decode(v1, 2)], 2, [v1]);
    const live: Buffer[] = [];
    const encodeOnce = (ev: CacheEvent) => {
      const memo = ev.frames();
      let buf = memo.get('n');
      if (!buf) memo.set('n', (buf = ev.entry.encode()));
      return buf;
    };
    const hadText: boolean[] = [];
    c.subscribe({}, { send: (ev) => (hadText.push(ev.entry.stored !== undefined), live.push(encodeOnce(ev))), bookmark: () => {} }, 2);
    const first = c.get('a')!;
    const v2 = encode(task('a', 3, 'm2'));
    c.apply('MODIFIED', decode(v2, 3), 3, v2.length, v2);
    const v3 = encode(task('a', 4, 'm3'));
    c.apply('MODIFIED', decode(v3, 4), 4, v3.length, v3);
    // The replaced versions keep their objects for filters and diffs, not their text; the
    // current one had its text while its event went to the watchers, and then let it go.
    assert.equal(first.stored, undefined);
    const second = c.get('a')!;
    assert.equal(second.stored, undefined);
    assert.deepEqual(hadText, [true, true]);
    c.apply('DELETED', second.object, 5);
    // A resume from the start replays the same bytes the live watcher got, rebuilt.
    const replayed: { ev: CacheEvent; buf: Buffer }[] = [];
    c.subscribe({}, { send: (ev) => replayed.push({ ev, buf: ev.entry.encode() }), bookmark: () => {} }, 2);
    assert.equal(replayed.length, 3);
    for (const { ev } of replayed) assert.equal(ev.frames().size, 0, `event at ${ev.revision} kept its frames`);
    assert.deepEqual(
      replayed.map((r) => r.buf.toString()),
      live.map((b) => b.toString()),
    );
    assert.deepEqual(
      replayed.map((r) => JSON.parse(r.buf.toString()).metadata.revision),
      [3, 4, 5],
    );
  });
});
