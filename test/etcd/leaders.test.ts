// /api/v1/system/leaders: every server of the cluster with its address and version, from
// registrations bound to leases (a killed server disappears by itself), and who leads since when;
// on SQLite the one server, leading.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startServer, type RunningServer } from '../../src/server.js';
import { version } from '../../src/version.js';
import { until } from '../helpers.js';
import { etcdSkipReason, withEtcd } from './etcd-process.js';
import { spawnServer } from './server-process.js';

interface Leaders {
  controllers?: { identity: string; since?: string; address?: string };
  servers: { identity: string; address: string; version: string; startedAt: string }[];
}

const leadersOf = async (url: string) => (await (await fetch(`${url}/api/v1/system/leaders`)).json()) as Leaders;

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-leaders-'));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('system leaders on SQLite', () => {
  it('lists the one server, leading since it started its controllers', async () => {
    const s = await startServer({ listen: '127.0.0.1:0', dataDir: tempDir(), logLevel: 'silent' });
    try {
      const view = await leadersOf(s.url);
      assert.equal(view.servers.length, 1);
      assert.equal(view.servers[0]!.address, s.url);
      assert.equal(view.servers[0]!.version, version);
      assert.equal(view.controllers?.identity, view.servers[0]!.identity);
      assert.ok(Date.parse(view.controllers!.since!) <= Date.now());
    } finally {
      await s.close();
    }
  });
});

const skip = etcdSkipReason();
describe('system leaders on etcd', { skip }, () => {
  const etcd = withEtcd(1);

  it('lists every server and the leader; a killed server disappears when its lease expires', async () => {
    const prefix = `/drover-leaders-${Date.now()}`;
    const a: RunningServer = await startServer({ listen: '127.0.0.1:0', dataDir: tempDir(), logLevel: 'silent', etcd: { endpoints: etcd.endpoints }, prefix, leaderTtlSeconds: 2 });
    const b = spawnServer(['--data', tempDir(), '--store', `etcd://${etcd.endpoints[0]!.replace('http://', '')}`, '--etcd-prefix', prefix, '--leader-ttl', '2', '--log-level', 'error']);
    try {
      const bUrl = await b.url;
      const both = await until(async () => {
        const v = await leadersOf(bUrl);
        return v.servers.length === 2 && v.controllers?.since && v;
      }, 'both servers registered and a leader');
      assert.deepEqual(both.servers.map((s) => s.address).sort(), [a.url, bUrl].sort());
      assert.ok(both.servers.every((s) => s.version === version));
      await until(() => a.election?.isLeader, 'the first server to lead');
      const led = await leadersOf(a.url);
      assert.equal(led.controllers?.identity, a.election!.identity);
      assert.equal(led.controllers?.address, a.url);

      b.proc.kill('SIGKILL');
      await b.exited;
      const alone = await until(async () => {
        const v = await leadersOf(a.url);
        return v.servers.length === 1 && v;
      }, 'the killed server to disappear', 15_000);
      assert.equal(alone.servers[0]!.address, a.url);
    } finally {
      b.proc.kill('SIGKILL');
      await a.close();
    }
  });
});
