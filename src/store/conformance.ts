// The Store contract as tests, for every backend: `storeConformance('sqlite', open)` in the
// backend's own test file. Only documented, etcd-style semantics are asserted: revisions grow by
// exactly one per write but their absolute values are never assumed, and each test writes under
// its own key prefix, so a shared etcd with existing data passes too.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CompactedError,
  FutureRevisionError,
  LeaseNotFoundError,
  StoreError,
  prefixEnd,
  type Compare,
  type KeyValue,
  type Store,
  type WatchEvent,
  type WatchOptions,
} from './store.js';
import { until as untilTruthy } from '../../test/until.js';

export interface OpenedStore {
  store: Store;
  /** Closes the store (if still open) and removes whatever `open` created. */
  cleanup(): Promise<void>;
}

/**
 * Waits until `condition` holds; fails after `timeoutMs` with `what` in the message. The tests'
 * one `until` (test/until.ts) does the waiting; this keeps the argument order the store tests
 * (here and src/store/sqlite.test.ts) were written with.
 */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  await untilTruthy(condition, what, timeoutMs);
}

interface Recording {
  calls: Array<{ revision: number; events: WatchEvent[] }>;
  events: WatchEvent[];
  errors: Error[];
  close(): void;
}

function record(store: Store, key: string, options: WatchOptions): Recording {
  const calls: Recording['calls'] = [];
  const events: WatchEvent[] = [];
  const errors: Error[] = [];
  const watch = store.watch(
    key,
    options,
    (batch, revision) => {
      calls.push({ revision, events: [...batch] });
      events.push(...batch);
    },
    (err) => errors.push(err),
  );
  return { calls, events, errors, close: () => watch.close() };
}

function strip(kv: KeyValue | undefined): Omit<KeyValue, 'lease'> | undefined {
  return kv && { key: kv.key, value: kv.value, createRevision: kv.createRevision, modRevision: kv.modRevision, version: kv.version };
}

const WATCH_TIMEOUT_MS = 5_000;

export function storeConformance(name: string, open: () => Promise<OpenedStore>): void {
  describe(`Store conformance: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    const run = randomUUID().slice(0, 8);
    let testNumber = 0;
    /** A key prefix no other test (or earlier run) uses. */
    const unique = (): string => `/conformance/${run}/${testNumber++}/`;

    before(async () => {
      opened = await open();
      store = opened.store;
    });
    after(async () => {
      await opened.cleanup();
    });

    describe('keys and revisions', () => {
      it('put creates a key at the write revision with version 1, and the revision grows by one', async () => {
        const key = `${unique()}a`;
        const before = await store.currentRevision();
        const put = await store.put(key, 'v1');
        assert.equal(put.revision, before + 1);
        assert.equal(put.prev, undefined);
        assert.equal(await store.currentRevision(), put.revision);
        assert.deepEqual(await store.get(key), { key, value: 'v1', createRevision: put.revision, modRevision: put.revision, version: 1, lease: 0 });
      });

      it('overwriting keeps createRevision, bumps modRevision and version, and returns the previous key-value', async () => {
        const key = `${unique()}a`;
        const first = await store.put(key, 'v1');
        const second = await store.put(key, 'v2');
        assert.equal(second.revision, first.revision + 1);
        assert.deepEqual(strip(second.prev), { key, value: 'v1', createRevision: first.revision, modRevision: first.revision, version: 1 });
        assert.deepEqual(strip(await store.get(key)), { key, value: 'v2', createRevision: first.revision, modRevision: second.revision, version: 2 });
      });

      it('get of a key that was never written returns undefined', async () => {
        assert.equal(await store.get(`${unique()}missing`), undefined);
      });

      it('delete removes a key in one revision; recreating it starts a new createRevision and version', async () => {
        const key = `${unique()}a`;
        await store.put(key, 'v1');
        const put2 = await store.put(key, 'v2');
        const del = await store.delete(key);
        assert.equal(del.revision, put2.revision + 1);
        assert.equal(del.deleted, 1);
        assert.deepEqual(del.prev.map((kv) => [kv.key, kv.value, kv.version]), [[key, 'v2', 2]]);
        assert.equal(await store.get(key), undefined);
        const again = await store.put(key, 'v3');
        assert.equal(again.revision, del.revision + 1);
        assert.equal(again.prev, undefined);
        assert.deepEqual(strip(await store.get(key)), { key, value: 'v3', createRevision: again.revision, modRevision: again.revision, version: 1 });
      });

      it('deleting a missing key deletes nothing and keeps the revision', async () => {
        const before = await store.currentRevision();
        const del = await store.delete(`${unique()}missing`);
        assert.equal(del.deleted, 0);
        assert.deepEqual(del.prev, []);
        assert.equal(del.revision, before);
        assert.equal(await store.currentRevision(), before);
      });

      it('deleting a range removes every key in [key, end) in one revision and nothing outside it', async () => {
        const p = unique();
        for (const k of ['a', 'b', 'c']) await store.put(p + k, k);
        const before = await store.currentRevision();
        const del = await store.delete(`${p}a`, { end: `${p}c` });
        assert.equal(del.revision, before + 1);
        assert.equal(del.deleted, 2);
        assert.deepEqual(del.prev.map((kv) => kv.key).sort(), [`${p}a`, `${p}b`]);
        const left = await store.range(p, { end: prefixEnd(p) });
        assert.deepEqual(left.kvs.map((kv) => kv.key), [`${p}c`]);
      });
    });

    describe('range', () => {
      it('a prefix range returns only keys with the prefix, sorted, with their count', async () => {
        const p = unique();
        const dir = `${p}items/`;
        for (const k of ['c', 'a', 'b']) await store.put(dir + k, k);
        await store.put(`${p}items`, 'just below the prefix');
        await store.put(`${p}itemsX`, 'just above the prefix');
        const result = await store.range(dir, { end: prefixEnd(dir) });
        assert.deepEqual(result.kvs.map((kv) => [kv.key, kv.value]), [[`${dir}a`, 'a'], [`${dir}b`, 'b'], [`${dir}c`, 'c']]);
        assert.equal(result.count, 3);
        assert.equal(result.more, false);
        assert.equal(result.revision, await store.currentRevision());
      });

      it('limit cuts the result short and sets more, while count ignores the limit', async () => {
        const p = unique();
        for (const k of ['a', 'b', 'c', 'd', 'e']) await store.put(p + k, k);
        const page1 = await store.range(p, { end: prefixEnd(p), limit: 2 });
        assert.deepEqual(page1.kvs.map((kv) => kv.value), ['a', 'b']);
        assert.equal(page1.more, true);
        assert.equal(page1.count, 5);
        const page3 = await store.range(`${p}e`, { end: prefixEnd(p), limit: 2 });
        assert.deepEqual(page3.kvs.map((kv) => kv.value), ['e']);
        assert.equal(page3.more, false);
        const exact = await store.range(p, { end: prefixEnd(p), limit: 5 });
        assert.equal(exact.kvs.length, 5);
        assert.equal(exact.more, false);
      });

      it('countOnly returns the count and no key-values', async () => {
        const p = unique();
        for (const k of ['a', 'b', 'c']) await store.put(p + k, k);
        const result = await store.range(p, { end: prefixEnd(p), countOnly: true });
        assert.equal(result.count, 3);
        assert.deepEqual(result.kvs, []);
      });

      it('an end of "\\0" reads every key from the start key on', async () => {
        const p = unique();
        for (const k of ['a', 'b', 'c']) await store.put(p + k, k);
        const result = await store.range(`${p}b`, { end: '\0', limit: 2 });
        assert.deepEqual(result.kvs.map((kv) => kv.key), [`${p}b`, `${p}c`]);
        assert.ok(result.count >= 2);
      });

      it('a range at an old revision returns the state as of that revision', async () => {
        const p = unique();
        const r1 = (await store.put(`${p}a`, 'a1')).revision;
        const r2 = (await store.put(`${p}b`, 'b1')).revision;
        const r3 = (await store.put(`${p}a`, 'a2')).revision;
        const r4 = (await store.delete(`${p}b`)).revision;
        await store.put(`${p}c`, 'c1');
        const at = async (revision: number) =>
          (await store.range(p, { end: prefixEnd(p), revision })).kvs.map((kv) => [kv.key.slice(p.length), kv.value, kv.modRevision]);
        assert.deepEqual(await at(r1), [['a', 'a1', r1]]);
        assert.deepEqual(await at(r2), [['a', 'a1', r1], ['b', 'b1', r2]]);
        assert.deepEqual(await at(r3), [['a', 'a2', r3], ['b', 'b1', r2]]);
        assert.deepEqual(await at(r4), [['a', 'a2', r3]]);
        assert.equal((await store.get(`${p}a`, { revision: r2 }))?.value, 'a1');
        assert.equal(await store.get(`${p}b`, { revision: r4 }), undefined);
        assert.equal((await store.range(p, { end: prefixEnd(p), revision: r2 })).revision, r2);
        assert.equal((await store.range(p, { end: prefixEnd(p), revision: r2, countOnly: true })).count, 2);
      });

      it('reading a future revision fails with FutureRevisionError', async () => {
        const key = `${unique()}a`;
        await store.put(key, 'v');
        const future = (await store.currentRevision()) + 1000;
        await assert.rejects(store.get(key, { revision: future }), FutureRevisionError);
        await assert.rejects(store.range(key, { end: prefixEnd(key), revision: future }), FutureRevisionError);
      });
    });

    describe('transactions', () => {
      it('a compare-and-swap on modRevision runs the success branch when it holds', async () => {
        const key = `${unique()}a`;
        const put = await store.put(key, 'v1');
        const result = await store.txn({
          compare: [{ key, target: 'modRevision', op: '=', value: put.revision }],
          success: [{ type: 'put', key, value: 'v2' }],
          failure: [{ type: 'put', key, value: 'wrong branch' }],
        });
        assert.equal(result.succeeded, true);
        assert.equal(result.revision, put.revision + 1);
        assert.equal(result.results[0]?.type, 'put');
        assert.equal((await store.get(key))?.value, 'v2');
      });

      it('a failed compare runs only the failure branch; a read-only failure branch writes nothing', async () => {
        const key = `${unique()}a`;
        const put = await store.put(key, 'v1');
        await store.put(key, 'v2');
        const before = await store.currentRevision();
        const result = await store.txn({
          compare: [{ key, target: 'modRevision', op: '=', value: put.revision }],
          success: [{ type: 'put', key, value: 'must not be written' }],
          failure: [{ type: 'range', key }],
        });
        assert.equal(result.succeeded, false);
        assert.equal(result.revision, before);
        assert.equal(await store.currentRevision(), before);
        const range = result.results[0];
        assert.equal(range?.type, 'range');
        assert.equal(range?.type === 'range' && range.result.kvs[0]?.value, 'v2');
        assert.equal((await store.get(key))?.value, 'v2');
      });

      it('a failed compare with a writing failure branch applies that branch', async () => {
        const key = `${unique()}a`;
        await store.put(key, 'v1');
        const result = await store.txn({
          compare: [{ key, target: 'value', op: '=', value: 'other' }],
          success: [{ type: 'put', key, value: 'success' }],
          failure: [{ type: 'put', key, value: 'failure' }],
        });
        assert.equal(result.succeeded, false);
        assert.equal((await store.get(key))?.value, 'failure');
      });

      it('createRevision = 0 creates a key only when it does not exist', async () => {
        const key = `${unique()}a`;
        const create = (value: string) =>
          store.txn({ compare: [{ key, target: 'createRevision', op: '=', value: 0 }], success: [{ type: 'put', key, value }] });
        assert.equal((await create('first')).succeeded, true);
        const before = await store.currentRevision();
        assert.equal((await create('second')).succeeded, false);
        assert.equal(await store.currentRevision(), before);
        assert.equal((await store.get(key))?.value, 'first');
      });

      it('compares on every target and operator follow etcd', async () => {
        const p = unique();
        const key = `${p}a`;
        const lease = await store.grantLease(60);
        try {
          await store.put(key, 'one');
          const put = await store.put(key, 'two', { lease });
          const missing = `${p}missing`;
          const cases: Array<[Compare, boolean]> = [
            [{ key, target: 'modRevision', op: '=', value: put.revision }, true],
            [{ key, target: 'modRevision', op: '!=', value: put.revision }, false],
            [{ key, target: 'modRevision', op: '<', value: put.revision + 1 }, true],
            [{ key, target: 'modRevision', op: '>', value: put.revision }, false],
            [{ key, target: 'createRevision', op: '=', value: put.revision - 1 }, true],
            [{ key, target: 'createRevision', op: '<', value: put.revision }, true],
            [{ key, target: 'version', op: '=', value: 2 }, true],
            [{ key, target: 'version', op: '>', value: 2 }, false],
            [{ key, target: 'value', op: '=', value: 'two' }, true],
            [{ key, target: 'value', op: '!=', value: 'two' }, false],
            [{ key, target: 'value', op: '!=', value: 'one' }, true],
            [{ key, target: 'lease', op: '=', value: lease }, true],
            [{ key, target: 'lease', op: '!=', value: lease }, false],
            [{ key: missing, target: 'version', op: '=', value: 0 }, true],
            [{ key: missing, target: 'modRevision', op: '=', value: 0 }, true],
            [{ key: missing, target: 'lease', op: '=', value: 0 }, true],
          ];
          for (const [compare, expected] of cases) {
            const result = await store.txn({ compare: [compare] });
            assert.equal(result.succeeded, expected, `${JSON.stringify(compare)} should be ${expected}`);
          }
          const both = await store.txn({ compare: [cases[0]![0], cases[1]![0]] });
          assert.equal(both.succeeded, false, 'all compares must hold');
        } finally {
          await store.revokeLease(lease);
        }
      });

      it('a transaction writing several keys commits them all in one revision', async () => {
        const p = unique();
        await store.put(`${p}old`, 'x');
        const rec = record(store, p, { end: prefixEnd(p) });
        try {
          const before = await store.currentRevision();
          const result = await store.txn({
            success: [
              { type: 'put', key: `${p}a`, value: 'a' },
              { type: 'put', key: `${p}b`, value: 'b' },
              { type: 'delete', key: `${p}old` },
              { type: 'put', key: `${p}c`, value: 'c' },
            ],
          });
          assert.equal(result.revision, before + 1);
          assert.equal(await store.currentRevision(), before + 1);
          const kvs = (await store.range(p, { end: prefixEnd(p) })).kvs;
          assert.deepEqual(kvs.map((kv) => [kv.key.slice(p.length), kv.modRevision]), [['a', before + 1], ['b', before + 1], ['c', before + 1]]);
          await until(() => rec.events.length >= 4, WATCH_TIMEOUT_MS, 'the transaction events');
          assert.equal(rec.calls.length, 1, 'one listener call for one revision');
          assert.equal(rec.calls[0]!.revision, before + 1);
          assert.deepEqual(rec.calls[0]!.events.map((e) => [e.type, e.kv.key.slice(p.length)]).sort(), [
            ['delete', 'old'],
            ['put', 'a'],
            ['put', 'b'],
            ['put', 'c'],
          ]);
        } finally {
          rec.close();
        }
      });

      it('a range inside a transaction returns the keys of that range', async () => {
        const p = unique();
        for (const k of ['a', 'b']) await store.put(p + k, k);
        const result = await store.txn({ success: [{ type: 'range', key: p, options: { end: prefixEnd(p) } }] });
        const range = result.results[0];
        assert.equal(range?.type, 'range');
        assert.deepEqual(range?.type === 'range' && range.result.kvs.map((kv) => kv.value), ['a', 'b']);
      });

      it('a branch that writes one key twice is refused and changes nothing', async () => {
        const key = `${unique()}a`;
        const before = await store.currentRevision();
        await assert.rejects(
          store.txn({ success: [{ type: 'put', key, value: '1' }, { type: 'put', key, value: '2' }] }),
        );
        assert.equal(await store.currentRevision(), before);
        assert.equal(await store.get(key), undefined);
      });

      it('of many concurrent compare-and-swaps on one revision exactly one wins', async () => {
        const key = `${unique()}a`;
        const put = await store.put(key, 'start');
        const attempts = await Promise.all(
          Array.from({ length: 32 }, (_, i) =>
            store.txn({ compare: [{ key, target: 'modRevision', op: '=', value: put.revision }], success: [{ type: 'put', key, value: `writer ${i}` }] }),
          ),
        );
        const winners = attempts.flatMap((result, i) => (result.succeeded ? [i] : []));
        assert.equal(winners.length, 1);
        const kv = await store.get(key);
        assert.equal(kv?.value, `writer ${winners[0]}`);
        assert.equal(kv?.version, 2);
      });
    });

    describe('watch', () => {
      it('delivers puts and deletes in revision order, each with the previous key-value', async () => {
        const key = `${unique()}a`;
        const rec = record(store, key, {});
        try {
          const r1 = (await store.put(key, 'v1')).revision;
          const r2 = (await store.put(key, 'v2')).revision;
          const r3 = (await store.delete(key)).revision;
          await until(() => rec.events.length >= 3, WATCH_TIMEOUT_MS, 'three events');
          assert.deepEqual(rec.calls.map((c) => c.revision), [r1, r2, r3]);
          const [create, update, del] = rec.events;
          assert.equal(create!.type, 'put');
          assert.deepEqual(strip(create!.kv), { key, value: 'v1', createRevision: r1, modRevision: r1, version: 1 });
          assert.equal(create!.prev, undefined);
          assert.equal(update!.type, 'put');
          assert.deepEqual(strip(update!.kv), { key, value: 'v2', createRevision: r1, modRevision: r2, version: 2 });
          assert.equal(update!.prev?.value, 'v1');
          assert.equal(update!.prev?.modRevision, r1);
          assert.equal(del!.type, 'delete');
          assert.equal(del!.kv.key, key);
          assert.equal(del!.kv.modRevision, r3);
          assert.equal(del!.kv.value, '');
          assert.equal(del!.prev?.value, 'v2');
          assert.equal(del!.prev?.modRevision, r2);
        } finally {
          rec.close();
        }
      });

      it('from a past revision replays history, then streams live writes with no gap and no duplicate', async () => {
        const p = unique();
        const end = prefixEnd(p);
        const past: number[] = [];
        for (let i = 0; i < 5; i++) past.push((await store.put(`${p}k${i}`, `past ${i}`)).revision);
        const rec = record(store, p, { end, startRevision: past[1]! });
        try {
          // Issued while the replay may still be pending.
          const live = await Promise.all(Array.from({ length: 5 }, (_, i) => store.put(`${p}k${i}`, `live ${i}`)));
          const sentinel = await store.put(`${p}sentinel`, 'last');
          await until(() => rec.events.some((e) => e.kv.key === `${p}sentinel`), WATCH_TIMEOUT_MS, 'the sentinel event');
          const expected = [...past.slice(1), ...live.map((l) => l.revision), sentinel.revision].sort((a, b) => a - b);
          assert.deepEqual(rec.events.map((e) => e.kv.modRevision), expected);
          assert.deepEqual(rec.calls.map((c) => c.revision), expected);
          assert.equal(rec.events[0]!.kv.value, 'past 1');
          const firstLive = rec.events.find((e) => e.kv.value === 'live 0');
          assert.equal(firstLive?.prev?.value, 'past 0');
          assert.deepEqual(rec.errors, []);
        } finally {
          rec.close();
        }
      });

      it('a prefix watch sees only keys with that prefix', async () => {
        const p = unique();
        const dir = `${p}dir/`;
        const rec = record(store, dir, { end: prefixEnd(dir) });
        try {
          await store.put(`${p}dir`, 'outside, below');
          await store.put(`${dir}a`, 'inside');
          await store.put(`${p}dirx`, 'outside, above');
          await store.txn({ success: [{ type: 'put', key: `${p}other`, value: 'outside' }, { type: 'put', key: `${dir}b`, value: 'inside' }] });
          await store.put(`${dir}z`, 'last');
          await until(() => rec.events.some((e) => e.kv.key === `${dir}z`), WATCH_TIMEOUT_MS, 'the last event');
          assert.deepEqual(rec.events.map((e) => e.kv.key), [`${dir}a`, `${dir}b`, `${dir}z`]);
        } finally {
          rec.close();
        }
      });

      it('closing a watch stops its delivery', async () => {
        const key = `${unique()}a`;
        const closed = record(store, key, {});
        const open = record(store, key, {});
        try {
          await store.put(key, 'seen');
          await until(() => closed.events.length === 1 && open.events.length === 1, WATCH_TIMEOUT_MS, 'the first event');
          closed.close();
          await store.put(key, 'after close');
          await until(() => open.events.length === 2, WATCH_TIMEOUT_MS, 'the second event on the open watch');
          assert.equal(closed.events.length, 1);
        } finally {
          closed.close();
          open.close();
        }
      });
    });

    describe('compaction', () => {
      it('compacted revisions fail with CompactedError for reads and watches while current reads work', async () => {
        const key = `${unique()}a`;
        const r1 = (await store.put(key, 'one')).revision;
        const r2 = (await store.put(key, 'two')).revision;
        const r3 = (await store.put(key, 'three')).revision;
        await store.compact(r2);
        assert.ok((await store.compactedRevision()) >= r2);
        await assert.rejects(store.get(key, { revision: r1 }), CompactedError);
        await assert.rejects(store.range(key, { end: prefixEnd(key), revision: r2 }), CompactedError);
        assert.equal((await store.get(key))?.value, 'three');
        assert.equal((await store.get(key, { revision: r3 }))?.value, 'three');

        const stale = record(store, key, { startRevision: r1 });
        const fresh = record(store, key, { startRevision: r3 });
        try {
          await until(() => stale.errors.length === 1, WATCH_TIMEOUT_MS, 'CompactedError on the stale watch');
          assert.ok(stale.errors[0] instanceof CompactedError);
          await until(() => fresh.events.length === 1, WATCH_TIMEOUT_MS, 'the replayed event');
          assert.equal(fresh.events[0]!.kv.value, 'three');
          assert.equal(fresh.events[0]!.prev?.value, 'two');
          await store.put(key, 'four');
          await until(() => fresh.events.length === 2, WATCH_TIMEOUT_MS, 'a live event after compaction');
          assert.deepEqual(stale.events, []);
        } finally {
          stale.close();
          fresh.close();
        }
      });

      it('compaction keeps every revision above the compacted one readable', async () => {
        const p = unique();
        const end = prefixEnd(p);
        await store.put(`${p}a`, 'a1');
        const compactTo = (await store.put(`${p}a`, 'a2')).revision;
        const r3 = (await store.put(`${p}b`, 'b1')).revision;
        const r4 = (await store.put(`${p}a`, 'a3')).revision;
        const r5 = (await store.delete(`${p}b`)).revision;
        const r6 = (await store.put(`${p}b`, 'b2')).revision;
        await store.compact(compactTo);
        const at = async (revision: number) =>
          (await store.range(p, { end, revision })).kvs.map((kv) => [kv.key.slice(p.length), kv.value, kv.version]);
        assert.deepEqual(await at(r3), [['a', 'a2', 2], ['b', 'b1', 1]]);
        assert.deepEqual(await at(r4), [['a', 'a3', 3], ['b', 'b1', 1]]);
        assert.deepEqual(await at(r5), [['a', 'a3', 3]]);
        assert.deepEqual(await at(r6), [['a', 'a3', 3], ['b', 'b2', 1]]);
        assert.equal((await store.get(`${p}a`, { revision: compactTo + 1 }))?.value, 'a2');
      });
    });

    describe('leases', () => {
      it('keys attached to a lease are deleted when it expires', async () => {
        const key = `${unique()}a`;
        const lease = await store.grantLease(1);
        await store.put(key, 'ephemeral', { lease });
        assert.equal((await store.get(key))?.lease, lease);
        const rec = record(store, key, {});
        try {
          await until(async () => (await store.get(key)) === undefined, 10_000, 'the key of the expired lease to go');
          await until(() => rec.events.length === 1, WATCH_TIMEOUT_MS, 'the delete event');
          assert.equal(rec.events[0]!.type, 'delete');
          assert.equal(await store.leaseTimeToLive(lease), -1);
          await assert.rejects(store.keepAlive(lease), LeaseNotFoundError);
        } finally {
          rec.close();
        }
      });

      it('keepAlive keeps a lease and its keys past the TTL', async () => {
        const key = `${unique()}a`;
        const lease = await store.grantLease(1);
        try {
          await store.put(key, 'kept', { lease });
          const ttl = await store.leaseTimeToLive(lease);
          assert.ok(ttl > 0, `TTL ${ttl} should be positive`);
          const keepUntil = Date.now() + ttl * 1000 + 1500;
          while (Date.now() < keepUntil) {
            const renewed = await store.keepAlive(lease);
            assert.ok(renewed.ttlSeconds >= 1);
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
          assert.equal((await store.get(key))?.value, 'kept');
        } finally {
          await store.revokeLease(lease);
        }
      });

      it('revoking a lease deletes all its keys in one revision', async () => {
        const p = unique();
        const lease = await store.grantLease(60);
        for (const k of ['a', 'b', 'c']) await store.put(p + k, k, { lease });
        await store.put(`${p}unleased`, 'stays');
        const rec = record(store, p, { end: prefixEnd(p) });
        try {
          const before = await store.currentRevision();
          await store.revokeLease(lease);
          assert.equal(await store.currentRevision(), before + 1);
          assert.deepEqual((await store.range(p, { end: prefixEnd(p) })).kvs.map((kv) => kv.key), [`${p}unleased`]);
          await until(() => rec.events.length === 3, WATCH_TIMEOUT_MS, 'three delete events');
          assert.equal(rec.calls.length, 1);
          assert.deepEqual(rec.events.map((e) => [e.type, e.kv.key]).sort(), [
            ['delete', `${p}a`],
            ['delete', `${p}b`],
            ['delete', `${p}c`],
          ]);
          assert.equal(await store.leaseTimeToLive(lease), -1);
        } finally {
          rec.close();
        }
      });

      it('a put with an unknown lease fails with LeaseNotFoundError and writes nothing', async () => {
        const key = `${unique()}a`;
        const lease = await store.grantLease(60);
        await store.revokeLease(lease);
        const before = await store.currentRevision();
        await assert.rejects(store.put(key, 'v', { lease }), LeaseNotFoundError);
        await assert.rejects(store.keepAlive(lease), LeaseNotFoundError);
        assert.equal(await store.leaseTimeToLive(lease), -1);
        assert.equal(await store.get(key), undefined);
        assert.equal(await store.currentRevision(), before);
      });

      it('leaseTimeToLive reports the remaining seconds of a live lease', async () => {
        const lease = await store.grantLease(30);
        try {
          const ttl = await store.leaseTimeToLive(lease);
          assert.ok(ttl > 0 && ttl <= 30, `TTL ${ttl} should be in (0, 30]`);
        } finally {
          await store.revokeLease(lease);
        }
      });
    });

    describe('load', () => {
      it('2,000 puts issued at once are all acknowledged at distinct revisions and all visible', async () => {
        const p = unique();
        const before = await store.currentRevision();
        const keys = Array.from({ length: 2000 }, (_, i) => `${p}${String(i).padStart(4, '0')}`);
        const puts = await Promise.all(keys.map((key) => store.put(key, `value ${key}`)));
        const revisions = puts.map((put) => put.revision);
        assert.equal(new Set(revisions).size, keys.length);
        assert.ok(Math.min(...revisions) > before);
        assert.ok((await store.currentRevision()) >= before + keys.length);
        const all = await store.range(p, { end: prefixEnd(p) });
        assert.equal(all.count, keys.length);
        all.kvs.forEach((kv, i) => {
          assert.equal(kv.key, keys[i]);
          assert.equal(kv.value, `value ${keys[i]}`);
          assert.equal(kv.modRevision, revisions[i]);
        });
      });
    });

    describe('close', () => {
      it('after close no events are delivered and calls fail with StoreError', async () => {
        const own = await open();
        const key = `${unique()}a`;
        const rec = record(own.store, key, {});
        try {
          await own.store.put(key, 'before close');
          await until(() => rec.events.length === 1, WATCH_TIMEOUT_MS, 'the event before close');
          await own.store.close();
          await own.store.close();
          await assert.rejects(own.store.put(key, 'after close'), StoreError);
          await assert.rejects(own.store.get(key), StoreError);
          assert.equal(rec.events.length, 1);
        } finally {
          rec.close();
          await own.cleanup();
        }
      });
    });
  });
}
