import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { until } from './conformance.js';
import { SqliteStore } from './sqlite.js';
import { prefixEnd } from './store.js';

const MiB = 1024 * 1024;
const quiet = { warn: () => {} };

async function fill(store: SqliteStore, prefix: string, bytes: number): Promise<number> {
  const value = 'x'.repeat(1000);
  let keys = 0;
  for (; keys * value.length < bytes; keys += 100) {
    await store.txn({ success: Array.from({ length: 100 }, (_, j) => ({ type: 'put' as const, key: `${prefix}${keys + j}`, value })) });
  }
  return keys;
}

function autoVacuumMode(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.pragma('auto_vacuum', { simple: true }) as number;
  } finally {
    db.close();
  }
}

describe('SqliteStore gives file space back after deletes and compaction', () => {
  it('a store filled, emptied and compacted shrinks its file', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-vacuum-'));
    const dbPath = path.join(dir, 'state.db');
    const store = SqliteStore.open({ path: dbPath, historyRevisions: 0, checkpointIntervalMs: 20, logger: quiet });
    try {
      await fill(store, '/big/', 20 * MiB);
      await until(() => fs.statSync(dbPath).size > 20 * MiB, 10_000, 'the checkpoint to move the data into the file');
      const filledBytes = fs.statSync(dbPath).size;

      const deleted = await store.delete('/big/', { end: prefixEnd('/big/') });
      await store.compact(deleted.revision);
      await until(() => fs.statSync(dbPath).size < filledBytes / 20, 20_000, 'the file to shrink');
      const emptiedBytes = fs.statSync(dbPath).size;
      t.diagnostic(`state.db: ${filledBytes} bytes filled, ${emptiedBytes} bytes after delete and compaction`);

      assert.equal((await store.range('/big/', { end: prefixEnd('/big/'), countOnly: true })).count, 0);
      await store.put('/after', 'still a store');
      assert.equal((await store.get('/after'))?.value, 'still a store');
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file made without incremental vacuum is converted once, keeping its data, and then shrinks too', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drover-vacuum-'));
    const dbPath = path.join(dir, 'state.db');
    try {
      const first = SqliteStore.open({ path: dbPath, logger: quiet });
      const keys = await fill(first, '/old/', 2 * MiB);
      const revision = await first.currentRevision();
      await first.close();
      // What drover wrote before it reclaimed space: a file with auto_vacuum off.
      const old = new Database(dbPath);
      old.pragma('auto_vacuum = NONE');
      old.exec('VACUUM');
      old.close();
      assert.equal(autoVacuumMode(dbPath), 0);

      const infos: string[] = [];
      const logger = { warn: () => {}, info: (_obj: unknown, msg?: string) => void infos.push(msg ?? '') };
      const converted = SqliteStore.open({ path: dbPath, historyRevisions: 0, checkpointIntervalMs: 20, logger });
      try {
        assert.equal(infos.filter((m) => m.startsWith('converted the store file to incremental vacuum')).length, 1);
        assert.equal(await converted.currentRevision(), revision);
        assert.equal((await converted.range('/old/', { end: prefixEnd('/old/'), countOnly: true })).count, keys);
        const filledBytes = fs.statSync(dbPath).size;
        const deleted = await converted.delete('/old/', { end: prefixEnd('/old/') });
        await converted.compact(deleted.revision);
        await until(() => fs.statSync(dbPath).size < filledBytes / 4, 20_000, 'the converted file to shrink');
      } finally {
        await converted.close();
      }
      assert.equal(autoVacuumMode(dbPath), 2);

      infos.length = 0;
      const again = SqliteStore.open({ path: dbPath, logger });
      await again.close();
      assert.deepEqual(infos.filter((m) => m.startsWith('converted')), [], 'converted once');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
