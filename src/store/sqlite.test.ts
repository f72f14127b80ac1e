import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { storeConformance, until } from './conformance.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite.js';
import { CompactedError, prefixEnd, type WatchEvent } from './store.js';

interface TempStore {
  store: SqliteStore;
  dbPath: string;
  reopen(options?: Partial<SqliteStoreOptions>): SqliteStore;
  cleanup(): Promise<void>;
}

function tempStore(options: Partial<SqliteStoreOptions> = {}): TempStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-store-'));
  const dbPath = path.join(dir, 'state.db');
  const opened: SqliteStore[] = [SqliteStore.open({ ...options, path: dbPath })];
  return {
    store: opened[0]!,
    dbPath,
    reopen(more = {}) {
      const store = SqliteStore.open({ ...options, ...more, path: dbPath });
      opened.push(store);
      return store;
    },
    async cleanup() {
      for (const store of opened) await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Rows in the log table, read through a second connection as an outside observer would. */
function logRows(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM kv').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

storeConformance('sqlite', async () => {
  const temp = tempStore();
  return { store: temp.store, cleanup: () => temp.cleanup() };
});

describe('SqliteStore', () => {
  it('keeps no values in memory: a current read, a value compare and a previous value come from the file', async () => {
    const temp = tempStore();
    try {
      const { store } = temp;
      await store.put('/v/a', 'written');
      // Changed behind the store's back, through a second connection: only a read of the file sees it.
      const outside = new Database(temp.dbPath);
      outside.prepare("UPDATE kv SET value = 'on disk' WHERE key = '/v/a'").run();
      outside.close();
      assert.equal((await store.get('/v/a'))?.value, 'on disk');
      const compared = await store.txn({ compare: [{ key: '/v/a', target: 'value', op: '=', value: 'on disk' }], success: [{ type: 'put', key: '/v/a', value: 'next' }] });
      assert.equal(compared.succeeded, true);
      const { prev } = await store.put('/v/a', 'last');
      assert.equal(prev?.value, 'next');
      assert.equal((await store.range('/v/', { end: prefixEnd('/v/') })).kvs[0]?.value, 'last');
    } finally {
      await temp.cleanup();
    }
  });

  it('every watcher has seen a write by the time its promise resolves', async () => {
    const temp = tempStore();
    try {
      const { store } = temp;
      const seen: WatchEvent[] = [];
      store.watch('/ryw/', { end: prefixEnd('/ryw/') }, (events) => seen.push(...events));
      const put = await store.put('/ryw/a', 'v');
      assert.deepEqual(seen.map((e) => [e.type, e.kv.modRevision]), [['put', put.revision]]);
      const txn = await store.txn({ success: [{ type: 'put', key: '/ryw/b', value: 'v' }, { type: 'delete', key: '/ryw/a' }] });
      assert.equal(seen.length, 3);
      assert.equal(seen[2]!.kv.modRevision, txn.revision);
    } finally {
      await temp.cleanup();
    }
  });

  it('a watch opened inside a listener gets the rest of the batch exactly once, in order', async () => {
    const temp = tempStore();
    try {
      const { store } = temp;
      const fromPast: number[] = [];
      const fromNow: number[] = [];
      const before = (await store.put('/nested/0', 'before')).revision;
      let first = 0;
      const outer = store.watch('/nested/', { end: prefixEnd('/nested/') }, (_events, revision) => {
        if (first !== 0) return;
        first = revision;
        // Opened while the same flush is still publishing the later revisions of its batch.
        store.watch('/nested/', { end: prefixEnd('/nested/'), startRevision: before }, (_e, rev) => fromPast.push(rev));
        store.watch('/nested/', { end: prefixEnd('/nested/') }, (_e, rev) => fromNow.push(rev));
      });
      const batch = await Promise.all(['a', 'b', 'c'].map((k) => store.put(`/nested/${k}`, k)));
      const later = await store.put('/nested/d', 'd');
      outer.close();
      const revisions = batch.map((put) => put.revision);
      assert.equal(first, revisions[0]);
      assert.deepEqual(fromPast, [before, ...revisions, later.revision]);
      assert.deepEqual(fromNow, [later.revision]);
    } finally {
      await temp.cleanup();
    }
  });

  it('a throwing watch listener is logged and neither the write nor other watchers suffer', async () => {
    const warnings: unknown[] = [];
    const temp = tempStore({ logger: { warn: (obj) => warnings.push(obj) } });
    try {
      const { store } = temp;
      const seen: number[] = [];
      store.watch('/boom', {}, () => {
        throw new Error('listener bug');
      });
      store.watch('/boom', {}, (_events, revision) => seen.push(revision));
      const put = await store.put('/boom', 'v');
      assert.deepEqual(seen, [put.revision]);
      assert.equal(warnings.length, 1);
      assert.equal((await store.get('/boom'))?.value, 'v');
    } finally {
      await temp.cleanup();
    }
  });

  it('keys, history, revision, compacted revision and leases survive close and reopen', async () => {
    const temp = tempStore();
    try {
      const first = temp.store;
      await first.put('/a', 'a1');
      const compactTo = (await first.put('/a', 'a2')).revision;
      await first.put('/b', 'b1');
      const bDeleted = (await first.delete('/b')).revision;
      const lease = await first.grantLease(60);
      await first.put('/c', 'c1', { lease });
      await first.compact(compactTo);
      const revision = await first.currentRevision();
      const a = await first.get('/a');
      await first.close();

      const store = temp.reopen();
      assert.equal(await store.currentRevision(), revision);
      assert.equal(await store.compactedRevision(), compactTo);
      assert.deepEqual(await store.get('/a'), a);
      assert.equal(await store.get('/b'), undefined);
      assert.equal((await store.get('/b', { revision: bDeleted - 1 }))?.value, 'b1');
      await assert.rejects(store.get('/a', { revision: compactTo }), CompactedError);
      assert.equal((await store.get('/c'))?.lease, lease);
      const ttl = await store.leaseTimeToLive(lease);
      assert.ok(ttl > 55 && ttl <= 60, `a reopened lease gets its full TTL again, got ${ttl}`);

      const replayed: string[] = [];
      store.watch('/', { end: '\0', startRevision: compactTo + 1 }, (events) => replayed.push(...events.map((e) => `${e.type} ${e.kv.key}`)));
      await until(() => replayed.length === 3, 5_000, 'the replay after reopen');
      assert.deepEqual(replayed, ['put /b', 'delete /b', 'put /c']);

      await store.revokeLease(lease);
      assert.deepEqual(replayed.slice(3), ['delete /c']);
      assert.equal(await store.get('/c'), undefined);
      assert.equal(await store.currentRevision(), revision + 1);
      assert.equal((await store.put('/d', 'd')).revision, revision + 2);
    } finally {
      await temp.cleanup();
    }
  });

  it('a second store on the same file is refused until the first one closes', async () => {
    const temp = tempStore();
    try {
      assert.throws(() => temp.reopen(), /in use by another store/);
      await temp.store.put('/k', 'v');
      await temp.store.close();
      const store = temp.reopen();
      assert.equal((await store.get('/k'))?.value, 'v');
    } finally {
      await temp.cleanup();
    }
  });

  it('the revision does not go back after compacting away a delete that was the last write', async () => {
    const temp = tempStore();
    try {
      await temp.store.put('/x', 'x');
      const deleted = (await temp.store.delete('/x')).revision;
      await temp.store.compact(deleted);
      await temp.store.close();
      assert.equal(logRows(temp.dbPath), 0);
      const store = temp.reopen();
      assert.equal(await store.currentRevision(), deleted);
      assert.equal((await store.put('/y', 'y')).revision, deleted + 1);
    } finally {
      await temp.cleanup();
    }
  });

  it('every acknowledged put survives kill -9 of the writing process', async () => {
    const temp = tempStore();
    await temp.store.close();
    try {
      const here = fileURLToPath(import.meta.url);
      const isTypeScript = here.endsWith('.ts');
      const child = path.join(path.dirname(here), 'testdata', `durability-child.${isTypeScript ? 'ts' : 'js'}`);
      const args = isTypeScript ? ['--import', import.meta.resolve('tsx'), child, temp.dbPath] : [child, temp.dbPath];
      const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const closed = new Promise<NodeJS.Signals | null>((resolve) => proc.once('close', (_code, signal) => resolve(signal)));
      const acked: string[] = [];
      let partial = '';
      let stderr = '';
      proc.stdout.setEncoding('utf8');
      proc.stdout.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        acked.push(...lines);
      });
      proc.stderr.on('data', (chunk) => (stderr += chunk));
      try {
        await until(() => acked.length >= 500 || proc.exitCode !== null, 30_000, 'the child to acknowledge 500 puts');
      } finally {
        proc.kill('SIGKILL');
      }
      assert.equal(await closed, 'SIGKILL', `child ended on its own: ${stderr}`);
      assert.ok(acked.length >= 500);

      const store = temp.reopen();
      const missing: string[] = [];
      for (const key of acked) {
        if ((await store.get(key))?.value !== `value of ${key}`) missing.push(key);
      }
      assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged puts were lost`);
      const stored = await store.range('/durability/', { end: prefixEnd('/durability/'), countOnly: true });
      assert.ok(stored.count >= acked.length);
    } finally {
      await temp.cleanup();
    }
  });

  it('a compaction of 50,000 rows runs in chunks that let other work through', async () => {
    const temp = tempStore({ historyRevisions: 0 });
    try {
      const { store } = temp;
      const keys = Array.from({ length: 50 }, (_, i) => `/bulk/${String(i).padStart(2, '0')}`);
      const rounds = 1000;
      await Promise.all(
        Array.from({ length: rounds }, (_, round) =>
          store.txn({ success: keys.map((key) => ({ type: 'put' as const, key, value: `round ${round}` })) }),
        ),
      );
      assert.equal(logRows(temp.dbPath), keys.length * rounds);
      const target = await store.currentRevision();

      let isCompacted = false;
      let turns = 0;
      const compaction = store.compact(target).then(() => (isCompacted = true));
      const countTurn = () => {
        if (isCompacted) return;
        turns++;
        setImmediate(countTurn);
      };
      setImmediate(countTurn);
      await store.put('/during', 'compaction');
      assert.equal(isCompacted, false, 'a write is acknowledged while the compaction is still running');
      await compaction;
      assert.ok(turns >= 10, `the event loop turned ${turns} times during the compaction`);

      assert.equal(logRows(temp.dbPath), keys.length + 1);
      const current = await store.range('/bulk/', { end: prefixEnd('/bulk/') });
      assert.equal(current.count, keys.length);
      assert.ok(current.kvs.every((kv) => kv.value === `round ${rounds - 1}`));
      assert.ok(current.kvs.every((kv) => kv.version === rounds));
      await assert.rejects(store.get(keys[0]!, { revision: target }), CompactedError);
    } finally {
      await temp.cleanup();
    }
  });

  it('automatic compaction keeps the configured window of history', async () => {
    const temp = tempStore({ historyRevisions: 10, compactionIntervalMs: 20 });
    try {
      const { store } = temp;
      for (let i = 0; i < 30; i++) await store.put('/window', String(i));
      const revision = await store.currentRevision();
      await until(async () => (await store.compactedRevision()) === revision - 10, 5_000, 'automatic compaction');
      await assert.rejects(store.get('/window', { revision: revision - 10 }), CompactedError);
      assert.equal((await store.get('/window', { revision: revision - 9 }))?.value, '20');
    } finally {
      await temp.cleanup();
    }
  });

  it('the checkpoint worker moves the WAL into the database file while the store is open', async () => {
    const temp = tempStore({ checkpointIntervalMs: 20 });
    try {
      const sizeBefore = fs.statSync(temp.dbPath).size;
      const value = 'x'.repeat(1024);
      await Promise.all(Array.from({ length: 1000 }, (_, i) => temp.store.put(`/checkpoint/${i}`, value)));
      await until(() => fs.statSync(temp.dbPath).size > sizeBefore + 500_000, 5_000, 'a checkpoint to grow the database file');
    } finally {
      await temp.cleanup();
    }
  });

  it('the WAL restarts from the top under sustained writes instead of growing', async () => {
    const temp = tempStore({ checkpointIntervalMs: 10, walRestartBytes: 256 * 1024 });
    try {
      const value = 'x'.repeat(1024);
      const walPath = `${temp.dbPath}-wal`;
      let written = 0;
      let maxWalBytes = 0;
      const writer = async (w: number) => {
        for (let i = 0; written < 16 * 1024 * 1024; i++) {
          await temp.store.put(`/wal/${w}/${i}`, value);
          written += value.length;
          maxWalBytes = Math.max(maxWalBytes, fs.statSync(walPath).size);
        }
      };
      await Promise.all(Array.from({ length: 32 }, (_, w) => writer(w)));
      assert.ok(maxWalBytes < 8 * 1024 * 1024, `WAL reached ${maxWalBytes} bytes for ${written} bytes written`);
    } finally {
      await temp.cleanup();
    }
  });
});
