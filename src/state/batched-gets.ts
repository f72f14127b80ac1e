// Quorum reads of single keys, batched: every key asked for while a batch is on the wire goes
// into the next one (one read-only transaction of up to 128 ranges, etcd's --max-txn-ops), so
// many concurrent consistent GETs cost a few quorum reads instead of one each. A key asked for
// during a batch is never answered by it: that read may predate the asker's own writes.
import type { KeyValue, Store } from '../store/store.js';

const MAX_KEYS = 128;

interface Waiter {
  resolve(kv: KeyValue | undefined): void;
  reject(err: unknown): void;
}

export class BatchedGets {
  private waiting = new Map<string, Waiter[]>();
  private isBusy = false;

  constructor(private readonly store: Store) {}

  get(key: string): Promise<KeyValue | undefined> {
    return new Promise((resolve, reject) => {
      let list = this.waiting.get(key);
      if (!list) this.waiting.set(key, (list = []));
      list.push({ resolve, reject });
      if (!this.isBusy) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.isBusy = true;
    try {
      while (this.waiting.size > 0) {
        const batch: [string, Waiter[]][] = [];
        for (const entry of this.waiting) {
          batch.push(entry);
          if (batch.length === MAX_KEYS) break;
        }
        for (const [key] of batch) this.waiting.delete(key);
        try {
          const { results } = await this.store.txn({ success: batch.map(([key]) => ({ type: 'range' as const, key })) });
          batch.forEach(([, waiters], i) => {
            const r = results[i];
            const kv = r?.type === 'range' ? r.result.kvs[0] : undefined;
            for (const w of waiters) w.resolve(kv);
          });
        } catch (err) {
          for (const [, waiters] of batch) for (const w of waiters) w.reject(err);
        }
      }
    } finally {
      this.isBusy = false;
    }
  }
}
