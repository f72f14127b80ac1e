// What a server on SQLite loads: not etcd's gRPC client, which was a quarter of the time
// `drover dev` took to import its server (its cold start). It is loaded when a server uses etcd;
// the SSH client likewise when a host is first reached.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const server = fileURLToPath(new URL('../../src/server.js', import.meta.url));

describe('server imports', () => {
  it('a server on SQLite starts without loading etcd3, gRPC or ssh2', () => {
    const script = `
      const { startServer } = await import(${JSON.stringify(server)});
      const { mkdtempSync, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const { createRequire } = await import('node:module');
      const dir = mkdtempSync(join(tmpdir(), 'drover-imports-'));
      const s = await startServer({ listen: '127.0.0.1:0', dataDir: dir, logLevel: 'error' });
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => /[\\\\/](etcd3|@grpc|ssh2)[\\\\/]/.test(k));
      await s.close();
      rmSync(dir, { recursive: true, force: true });
      console.log(JSON.stringify(loaded));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout.trim().split('\n').pop()!), []);
  });
});
