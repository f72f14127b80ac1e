// Durability at the API level: what a server acknowledged is there, unchanged and with the same
// revisions, after it is closed and a new one starts on the same data directory.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { startServer, type RunningServer } from '../../src/server.js';
import { http, tempDir } from '../helpers.js';
import { createService, createTask, MERGE, send, storeRevision } from './support.js';

describe('durability across a restart', () => {
  it('objects, their revisions and the store revision survive a restart on the same data dir', async () => {
    const dir = tempDir();
    const start = () => startServer({ listen: '127.0.0.1:0', dataDir: dir, logLevel: 'error', controllers: false });
    let server: RunningServer | undefined = await start();
    try {
      await createService(server.url, 'd-web', { labels: { app: 'web' } });
      await createTask(server.url, 'd-task', 'm1');
      assert.equal((await send(`${server.url}/api/v1/machines`, 'POST', { metadata: { name: 'd-machine' } })).status, 201);
      assert.equal((await send(`${server.url}/api/v1/services/d-web`, 'PATCH', { spec: { replicas: 3 } }, MERGE)).status, 200);
      assert.equal((await send(`${server.url}/api/v1/services/d-web/status`, 'PUT', { status: { replicas: 3 } })).status, 200);
      assert.equal((await http(`${server.url}/api/v1/machines/d-machine`, { method: 'DELETE' })).status, 200);
      const lists = async (url: string) => Promise.all(['machines', 'services', 'tasks'].map(async (p) => (await http(`${url}/api/v1/${p}`)).json()));
      const before = await lists(server.url);
      const revision = await storeRevision(server.url);
      await server.close();
      server = undefined;

      server = await start();
      assert.equal(await storeRevision(server.url), revision);
      assert.deepEqual(await lists(server.url), before);
      const web = (await http(`${server.url}/api/v1/services/d-web`)).json();
      assert.equal(web.spec.replicas, 3);
      assert.deepEqual(web.status, { replicas: 3 });
      assert.equal(web.metadata.generation, 2);

      // Writing goes on from there.
      const next = await send(`${server.url}/api/v1/services/d-web`, 'PATCH', { spec: { replicas: 4 } }, { ...MERGE, 'if-match': `"${web.metadata.revision}"` });
      assert.equal(next.status, 200, next.text);
      assert.equal(next.json().metadata.revision, revision + 1);
    } finally {
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
