import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteStore } from '../store/sqlite.js';
import type { TxnRequest } from '../store/store.js';
import { BatchedGets } from './batched-gets.js';

describe('batched quorum gets', () => {
  it('answers 300 concurrent gets with a few transactions of at most 128 ranges, each key its own value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-batched-'));
    const store = SqliteStore.open({ path: join(dir, 'state.db') });
    try {
      for (let i = 0; i < 300; i += 2) await store.put(`/k/${i}`, `v${i}`);
      const sizes: number[] = [];
      const txn = store.txn.bind(store);
      store.txn = (req: TxnRequest) => (sizes.push(req.success?.length ?? 0), txn(req));
      const gets = new BatchedGets(store);
      const values = await Promise.all(Array.from({ length: 300 }, (_, i) => gets.get(`/k/${i}`)));
      values.forEach((kv, i) => assert.equal(kv?.value, i % 2 === 0 ? `v${i}` : undefined, `key ${i}`));
      assert.ok(sizes.length <= 4, `${sizes.length} transactions`);
      assert.ok(Math.max(...sizes) <= 128);
      assert.equal(sizes.reduce((a, b) => a + b, 0), 300);

      await store.put('/k/0', 'changed');
      assert.equal((await gets.get('/k/0'))?.value, 'changed', 'a get after a write reads the write');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
