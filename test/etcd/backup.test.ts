// drover backup / restore between backends: a snapshot of SQLite restored into etcd serves the
// same objects.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { restoreBackup, writeBackup } from '../../src/cli/backup.js';
import { startServer } from '../../src/server.js';
import { EtcdStore } from '../../src/store/etcd.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { tempDir } from '../helpers.js';
import { etcdSkipReason, withEtcd } from './etcd-process.js';

const skip = etcdSkipReason();
if (skip) console.log(`# skipping etcd backup tests: ${skip}`);

type Obj = { metadata: { name: string; uid: string; revision?: number; [k: string]: unknown }; [k: string]: unknown };
const withoutRevision = (items: Obj[]) => items.map((o) => ({ ...o, metadata: { ...o.metadata, revision: undefined } }));

describe('drover backup and restore', { skip }, () => {
  const etcd = withEtcd(1);

  it('a backup of SQLite restored into etcd serves identical objects, and restoring twice is refused', async () => {
    const dir = tempDir();
    const targetDir = tempDir();
    const prefix = `/restored-${Date.now()}`;
    try {
      const source = await startServer({ listen: '127.0.0.1:0', dataDir: dir, logLevel: 'silent', controllers: false });
      const post = (body: unknown) =>
        fetch(`${source.url}/api/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      for (let i = 0; i < 250; i++) {
        const res = await post({ metadata: { name: `t${i}`, labels: { batch: String(i % 3) } }, spec: { template: { command: ['echo', String(i)] } } });
        assert.equal(res.status, 201);
      }
      const before = ((await (await fetch(`${source.url}/api/v1/tasks`)).json()) as { items: Obj[] }).items;
      await source.close();

      const lines: string[] = [];
      const sqlite = SqliteStore.open({ path: join(dir, 'state.db') });
      const backup = await writeBackup(sqlite, '/drover', (line) => void lines.push(line));
      await sqlite.close();
      assert.ok(backup.objects >= 250);

      const store = await EtcdStore.open({ endpoints: etcd.endpoints });
      try {
        const restored = await restoreBackup(store, prefix, lines);
        assert.equal(restored.objects, backup.objects);
        await assert.rejects(restoreBackup(store, prefix, lines), /already holds/);
      } finally {
        await store.close();
      }

      const target = await startServer({ listen: '127.0.0.1:0', dataDir: targetDir, logLevel: 'silent', controllers: false, etcd: { endpoints: etcd.endpoints }, prefix });
      try {
        const after = ((await (await fetch(`${target.url}/api/v1/tasks`)).json()) as { items: Obj[] }).items;
        assert.equal(after.length, 250);
        assert.deepEqual(withoutRevision(after), withoutRevision(before));
      } finally {
        await target.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(targetDir, { recursive: true, force: true });
    }
  });
});
