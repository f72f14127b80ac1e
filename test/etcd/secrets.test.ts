// Secrets on etcd: the store never sees a value in plain text, neither in the keys and values
// a client reads back nor in the member's data files (bbolt and WAL bytes).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startServer } from '../../src/server.js';
import { tempDir } from '../helpers.js';
import { etcdSkipReason, withEtcd } from './etcd-process.js';

const skip = etcdSkipReason();
if (skip) console.log(`# skipping etcd secrets tests: ${skip}`);

/** Every byte of every file under `dir`. */
function filesBytes(dir: string): Buffer {
  const parts: Buffer[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else parts.push(readFileSync(p));
    }
  };
  walk(dir);
  return Buffer.concat(parts);
}

describe('secrets on etcd', { skip }, () => {
  const etcd = withEtcd(1);

  it('a secret value is in no etcd key or value, nor in the member data files', async () => {
    const dir = tempDir();
    const prefix = `/secrets-${Date.now()}`;
    const value = `etcd-s3cr3t-${randomBytes(8).toString('hex')}`;
    const server = await startServer({ listen: '127.0.0.1:0', dataDir: dir, logLevel: 'silent', controllers: false, etcd: { endpoints: etcd.endpoints }, prefix });
    const client = new Etcd3({ hosts: etcd.endpoints });
    try {
      const res = await fetch(`${server.url}/api/v1/secrets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: 'db' }, spec: { data: { password: value } } }),
      });
      assert.equal(res.status, 201, await res.text());
      const shown = (await (await fetch(`${server.url}/api/v1/secrets/db?showValues=true`)).json()) as { spec: { data: Record<string, string> } };
      assert.equal(shown.spec.data.password, value);

      const kvs = await client.getAll().prefix(prefix).buffers();
      const stored = Object.entries(kvs);
      assert.ok(stored.some(([k, v]) => k.endsWith('/secrets/default/db') && v.includes('"password":"<redacted>"')), 'the secret is not where the test looks');
      for (const [k, v] of stored) {
        assert.ok(!k.includes(value) && !v.includes(value), `etcd key ${k} holds the value in plain text`);
      }
      const files = filesBytes(etcd.members[0]!.dataDir);
      assert.ok(files.includes('"password":"<redacted>"'), 'the member files read do not hold the secret');
      assert.equal(files.indexOf(value), -1, "a secret value is in etcd's data files in plain text");
    } finally {
      client.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('servers sharing an etcd read each other\'s secrets with a shared key file; one with its own key file says so', async () => {
    const dirs = [tempDir(), tempDir(), tempDir()];
    const prefix = `/secrets-ha-${Date.now()}`;
    const keyFile = join(dirs[0]!, 'shared.key');
    const start = (dir: string, secretsKeyFile?: string) =>
      startServer({ listen: '127.0.0.1:0', dataDir: dir, logLevel: 'silent', controllers: false, etcd: { endpoints: etcd.endpoints }, prefix, ...(secretsKeyFile ? { secretsKeyFile } : {}) });
    const a = await start(dirs[0]!, keyFile);
    const b = await start(dirs[1]!, keyFile);
    const stranger = await start(dirs[2]!);
    try {
      const res = await fetch(`${a.url}/api/v1/secrets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: 'shared' }, spec: { data: { k: 'v-shared' } } }),
      });
      assert.equal(res.status, 201);
      const read = async (url: string) => {
        const r = await fetch(`${url}/api/v1/secrets/shared?showValues=true`);
        return { status: r.status, body: (await r.json()) as any };
      };
      assert.deepEqual((await read(b.url)).body.spec.data, { k: 'v-shared' });
      const refused = await read(stranger.url);
      assert.equal(refused.status, 503);
      assert.match(refused.body.error.message, /secret "shared" cannot be decrypted here: no key "key1-[0-9a-f]{8}" in this server's secrets key file: servers sharing a store need the same key file/);
    } finally {
      for (const s of [a, b, stranger]) await s.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});
