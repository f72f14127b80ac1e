// Losing etcd members under a running server: one of three is tolerated, two stop writes with
// 503 Unavailable while reads keep serving from the cache, and everything recovers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServer, type RunningServer } from '../../src/server.js';
import { tempDir, until } from '../helpers.js';
import { etcdSkipReason, withEtcd } from './etcd-process.js';
import { rmSync } from 'node:fs';

const skip = etcdSkipReason();
if (skip) console.log(`# skipping etcd quorum tests: ${skip}`);

describe('a drover server when etcd members die', { skip }, () => {
  const etcd = withEtcd(3);

  it('kill -9 of one member keeps writes working; of two answers 503 with reads from cache; recovery when they return', async () => {
    const dir = tempDir();
    let server: RunningServer | undefined;
    try {
      server = await startServer({ listen: '127.0.0.1:0', dataDir: dir, logLevel: 'silent', controllers: false, etcd: { endpoints: etcd.endpoints }, prefix: `/quorum-${Date.now()}` });
      const url = server.url;
      // Every request has a deadline: a server stuck on etcd must fail this test quickly and say so,
      // not hold it until the runner's timeout.
      const signal = () => AbortSignal.timeout(30_000);
      const create = (name: string) =>
        fetch(`${url}/api/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name }, spec: { template: { command: ['true'] } } }), signal: signal() });
      assert.equal((await create('before')).status, 201);

      await etcd.kill(0);
      for (let i = 0; i < 5; i++) {
        const res = await create(`one-down-${i}`);
        assert.equal(res.status, 201, `write ${i} with one member down: ${await res.text()}`);
      }

      await etcd.kill(1);
      const started = Date.now();
      const refused = await create('no-quorum');
      const refusedMs = Date.now() - started;
      assert.equal(refused.status, 503, await refused.clone().text());
      const body = (await refused.json()) as { error: { reason: string; message: string } };
      assert.equal(body.error.reason, 'Unavailable');
      console.log(`# write without quorum refused after ${refusedMs} ms: ${body.error.message}`);
      const read = await fetch(`${url}/api/v1/tasks/one-down-4`, { signal: signal() });
      assert.equal(read.status, 200, 'reads keep serving from the cache');

      await Promise.all([etcd.restart(0), etcd.restart(1)]);
      const recovered = await until(async () => (await create('recovered')).status === 201 || (await fetch(`${url}/api/v1/tasks/recovered`, { signal: signal() })).status === 200, 'writes to work again', 20_000);
      assert.ok(recovered);
      await until(async () => (await fetch(`${url}/api/v1/tasks/recovered`, { signal: signal() })).status === 200, 'the recovered write in the cache', 10_000);
    } finally {
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
