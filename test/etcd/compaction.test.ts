// The leader compacts etcd to the history window SQLite keeps by itself: old revisions become
// unreadable (410 for a list page from an old snapshot), the current state stays.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { startServer, type RunningServer } from '../../src/server.js';
import { EtcdStore } from '../../src/store/etcd.js';
import { CompactedError } from '../../src/store/store.js';
import { http, tempDir, until } from '../helpers.js';
import { etcdSkipReason, withEtcd } from './etcd-process.js';

const skip = etcdSkipReason();
if (skip) console.log(`# skipping etcd compaction tests: ${skip}`);

describe('automatic compaction on etcd', { skip }, () => {
  const etcd = withEtcd(1);

  it('the leader keeps a window of revisions: older ones answer 410, the current state stays', async () => {
    const dir = tempDir();
    const prefix = `/compact-${Date.now()}`;
    const window = 20;
    let server: RunningServer | undefined;
    const store = await EtcdStore.open({ endpoints: etcd.endpoints });
    try {
      server = await startServer({
        listen: '127.0.0.1:0',
        dataDir: dir,
        logLevel: 'silent',
        etcd: { endpoints: etcd.endpoints },
        prefix,
        leaderTtlSeconds: 1,
        historyRevisions: window,
        compactionIntervalMs: 100,
      });
      const url = server.url;
      const tasks = (name: string, version: number) =>
        http(`${url}/api/v1/tasks/${name}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ metadata: { name, labels: { version: String(version) } }, spec: { template: { command: ['true'] } } }),
        });
      assert.equal((await tasks('a', 0)).status, 201);
      const first = await tasks('b', 0);
      assert.equal(first.status, 201);
      const oldRevision = first.json().metadata.revision as number;
      const page = await http(`${url}/api/v1/tasks?limit=1`);
      const token = page.json().metadata.nextPageToken as string;
      assert.ok(token, 'a first page with a token for the second');

      for (let i = 1; i <= 2 * window; i++) assert.equal((await tasks('b', i)).status, 200);
      const compacted = await until(async () => {
        const c = await store.compactedRevision();
        return c >= oldRevision ? c : undefined;
      }, 'the leader to compact past the first writes', 10_000);
      const current = await store.currentRevision();
      assert.ok(current - compacted >= window, `kept ${current - compacted} revisions, the window is ${window}`);

      await assert.rejects(store.get(`${prefix}/tasks/default/b`, { revision: oldRevision }), CompactedError);
      const gone = await http(`${url}/api/v1/tasks?limit=1&pageToken=${encodeURIComponent(token)}`);
      assert.equal(gone.status, 410, gone.text);
      const now = await http(`${url}/api/v1/tasks/b`);
      assert.equal(now.status, 200);
      assert.equal(now.json().metadata.labels.version, String(2 * window));
      assert.equal((await store.get(`${prefix}/tasks/default/a`))?.modRevision, (await http(`${url}/api/v1/tasks/a`)).json().metadata.revision);
    } finally {
      await server?.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
