// What a server on SQLite loads: not etcd's gRPC client, which was a quarter of the time
// `drover dev` took to import its server (its cold start). It is loaded when a server uses etcd;
// the SSH client likewise when a host is first reached.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { packagesLoadedBy } from '../helpers.js';

const server = fileURLToPath(new URL('../../src/server.js', import.meta.url));

describe('server imports', () => {
  it('a server on SQLite starts without loading etcd3, gRPC or ssh2', () => {
    const script = `
      const { startServer } = await import(${JSON.stringify(server)});
      const { mkdtempSync, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const dir = mkdtempSync(join(tmpdir(), 'drover-imports-'));
      const s = await startServer({ listen: '127.0.0.1:0', dataDir: dir, logLevel: 'error' });
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    `;
    const loaded = packagesLoadedBy(['--input-type=module', '-e', script]);
    assert.ok(loaded.includes('better-sqlite3'), `the probe sees the server's packages (${loaded.join(', ')})`);
    assert.deepEqual(loaded.filter((p) => p === 'etcd3' || p.startsWith('@grpc/') || p === 'ssh2'), []);
  });
});
