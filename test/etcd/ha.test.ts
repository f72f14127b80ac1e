// Several drover servers on one 3-member etcd cluster: every server serves the API from its own
// watch cache, one leader (elected with an etcd lease) runs the controllers, and a killed
// leader is replaced within 2× the lease TTL.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startServer, type RunningServer } from '../../src/server.js';
import { EtcdStore } from '../../src/store/etcd.js';
import { until } from '../helpers.js';
import { etcdSkipReason, withEtcd } from './etcd-process.js';
import { isCompiled, spawnServer, type ServerProcess } from './server-process.js';

const skip = etcdSkipReason();
if (skip) console.log(`# skipping etcd HA tests: ${skip}`);

/** Reads NDJSON watch events from a server until `match` returns true for one. */
async function watchUntil(url: string, match: (event: { type: string; object: { metadata: { name: string } } }) => boolean, timeoutMs: number): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch(url, { signal: controller.signal });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('watch ended before the expected event');
      buffered += decoder.decode(value, { stream: true });
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.trim() && match(JSON.parse(line))) return;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

describe('drover servers on etcd', { skip }, () => {
  const etcd = withEtcd(3);
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-ha-'));
    dirs.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('3 servers share the state: a watcher on server B sees a write made on server A, and exactly one leads', async () => {
    const prefix = `/drover-${Date.now()}`;
    const servers: RunningServer[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        servers.push(
          await startServer({ listen: '127.0.0.1:0', dataDir: tempDir(), logLevel: 'silent', etcd: { endpoints: etcd.endpoints }, prefix, leaderTtlSeconds: 2 }),
        );
      }
      const [a, b] = servers as [RunningServer, RunningServer];
      const seen = watchUntil(`${b.url}/api/v1/tasks?watch=true`, (e) => e.type === 'ADDED' && e.object.metadata.name === 'from-a', 10_000);
      const created = await fetch(`${a.url}/api/v1/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: 'from-a' }, spec: { template: { command: ['true'] } } }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      // A third server serves it at once: a read without a revision waits until its cache has
      // caught up with a quorum read of the store.
      const onC = await fetch(`${servers[2]!.url}/api/v1/tasks/from-a`);
      assert.equal(onC.status, 200, await onC.clone().text());
      const listOnC = (await (await fetch(`${servers[2]!.url}/api/v1/tasks`)).json()) as { items: { metadata: { name: string } }[] };
      assert.ok(listOnC.items.some((t) => t.metadata.name === 'from-a'), 'a list on server C has it too');
      await seen;
      await until(() => servers.filter((s) => s.election?.isLeader).length === 1, 'one leader among the three servers', 10_000);
      const store = await EtcdStore.open({ endpoints: etcd.endpoints });
      try {
        const key = await store.get(`${prefix}/tasks/default/from-a`);
        assert.equal(JSON.parse(key!.value).metadata.name, 'from-a', 'objects are readable JSON under <prefix>/<plural>/<namespace>/<name>');
      } finally {
        await store.close();
      }
    } finally {
      for (const s of servers) await s.close();
    }
  });

  it('read-your-writes across servers: a GET or list on B right after a write on A shows it, 50 times over', async () => {
    const prefix = `/drover-ryw-${Date.now()}`;
    const servers: RunningServer[] = [];
    // Writes outside drover's prefix move etcd's revision without ever reaching the servers'
    // watches: a consistent read must not wait for them.
    const outsider = await EtcdStore.open({ endpoints: etcd.endpoints });
    try {
      for (let i = 0; i < 2; i++) {
        servers.push(
          await startServer({ listen: '127.0.0.1:0', dataDir: tempDir(), logLevel: 'silent', etcd: { endpoints: etcd.endpoints }, prefix, controllers: false }),
        );
      }
      const [a, b] = servers as [RunningServer, RunningServer];
      const put = (version: number) =>
        fetch(`${a.url}/api/v1/services/ryw`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ metadata: { name: 'ryw', labels: { version: String(version) } }, spec: { replicas: 0, template: { command: ['true'] } } }),
        });
      for (let i = 0; i < 50; i++) {
        const written = await put(i);
        assert.ok(written.status === 200 || written.status === 201, await written.clone().text());
        const revision = ((await written.json()) as { metadata: { revision: number } }).metadata.revision;
        if (i % 10 === 0) await outsider.put(`/outside-${prefix}`, String(i));
        const read = await fetch(`${b.url}/api/v1/services/ryw`);
        assert.equal(read.status, 200, `read ${i}: ${await read.clone().text()}`);
        const body = (await read.json()) as { metadata: { revision: number; labels: Record<string, string> } };
        assert.equal(body.metadata.labels.version, String(i), `read ${i} on B shows the write on A`);
        assert.ok(body.metadata.revision >= revision);
        const list = (await (await fetch(`${b.url}/api/v1/services`)).json()) as { items: { metadata: { labels: Record<string, string> } }[] };
        assert.equal(list.items[0]?.metadata.labels.version, String(i), `list ${i} on B shows the write on A`);
      }
      // A client failing over mid-way: a watch resumed on B from a revision A gave it, and the
      // next page of a list A started, even if B's cache has not reached that revision yet.
      const onA = (await (await fetch(`${a.url}/api/v1/services/ryw`)).json()) as { metadata: { revision: number } };
      const watched = fetch(`${b.url}/api/v1/services?watch=true&revision=${onA.metadata.revision}`);
      assert.equal((await put(50)).status, 200);
      const stream = await watched;
      assert.equal(stream.status, 200, 'a watch on B resumes from a revision A gave');
      const reader = stream.body!.getReader();
      let text = '';
      while (!text.includes('\n')) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error(`the resumed watch ended after ${JSON.stringify(text)}`);
        text += new TextDecoder().decode(chunk.value);
      }
      await reader.cancel();
      const first = JSON.parse(text.split('\n')[0]!) as { type: string; object: { metadata: { labels: Record<string, string> } } };
      assert.deepEqual([first.type, first.object.metadata.labels.version], ['MODIFIED', '50'], 'the resumed watch starts with the write after the revision');
      const second = await fetch(`${a.url}/api/v1/services`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: 'ryw2' }, spec: { replicas: 0, template: { command: ['true'] } } }),
      });
      assert.equal(second.status, 201);
      const page1 = (await (await fetch(`${a.url}/api/v1/services?limit=1`)).json()) as { metadata: { nextPageToken: string }; items: { metadata: { name: string } }[] };
      const page2 = await fetch(`${b.url}/api/v1/services?limit=1&pageToken=${encodeURIComponent(page1.metadata.nextPageToken)}`);
      assert.equal(page2.status, 200, await page2.clone().text());
      const names = [...page1.items, ...((await page2.json()) as { items: { metadata: { name: string } }[] }).items].map((i) => i.metadata.name);
      assert.deepEqual(names, ['ryw', 'ryw2']);
      assert.equal((await fetch(`${a.url}/api/v1/services/ryw2`, { method: 'DELETE' })).status, 200);

      // A delete on A is gone on B at once, even right after an unrelated write outside the prefix.
      assert.equal((await fetch(`${a.url}/api/v1/services/ryw`, { method: 'DELETE' })).status, 200);
      await outsider.put(`/outside-${prefix}`, 'last');
      assert.equal((await fetch(`${b.url}/api/v1/services/ryw`)).status, 404);
      const empty = (await (await fetch(`${b.url}/api/v1/services`)).json()) as { items: unknown[] };
      assert.deepEqual(empty.items, []);
    } finally {
      for (const s of servers) await s.close();
      await outsider.close();
    }
  });

  it('kill -9 of the leading server: another server leads within 2× the lease TTL', async (t) => {
    if (!isCompiled) {
      t.skip('spawns bin/drover.js: runs from the compiled tests (npm test)');
      return;
    }
    const prefix = `/drover-kill-${Date.now()}`;
    const ttlSeconds = 2;
    const servers: ServerProcess[] = [];
    const store = await EtcdStore.open({ endpoints: etcd.endpoints });
    try {
      for (let i = 0; i < 3; i++) {
        servers.push(
          spawnServer(['--data', tempDir(), '--store', `etcd://${etcd.endpoints.map((e) => e.replace('http://', '')).join(',')}`,
            '--etcd-prefix', prefix, '--leader-ttl', String(ttlSeconds), '--log-level', 'error']),
        );
      }
      const procs = servers.map((s) => s.proc);
      const leaderKey = `${prefix}/leader/controllers`;
      const pidOf = (value: string) => Number(value.split('/')[1]);
      const first = await until(async () => (await store.get(leaderKey))?.value, 'a first leader', 20_000);
      const leader = procs.find((p) => p.pid === pidOf(first));
      assert.ok(leader, `the leader ${first} is one of the servers`);
      const killedAt = Date.now();
      leader.kill('SIGKILL');
      const next = await until(async () => {
        const kv = await store.get(leaderKey);
        return kv && kv.value !== first ? kv.value : undefined;
      }, 'a new leader', 4 * ttlSeconds * 1000);
      const takeoverMs = Date.now() - killedAt;
      console.log(`# new leader after ${takeoverMs} ms (lease TTL ${ttlSeconds} s)`);
      assert.ok(takeoverMs <= 2 * ttlSeconds * 1000, `took over after ${takeoverMs} ms, more than 2× the TTL`);
      assert.ok(procs.some((p) => p !== leader && p.pid === pidOf(next)));
    } finally {
      for (const s of servers) s.proc.kill('SIGKILL');
      await store.close();
    }
  });
});

describe('a leader that is stopped (SIGTERM)', { skip }, () => {
  const etcd = withEtcd(1);
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('resigns on the way out: another server leads well before the lease TTL would have run out', async (t) => {
    if (!isCompiled) {
      t.skip('spawns bin/drover.js: runs from the compiled tests (npm test)');
      return;
    }
    const prefix = `/drover-term-${Date.now()}`;
    // A long TTL: only a resignation (the lease revoked) explains a takeover well within it.
    const ttlSeconds = 20;
    const servers: ServerProcess[] = [];
    const store = await EtcdStore.open({ endpoints: etcd.endpoints });
    try {
      for (let i = 0; i < 2; i++) {
        const dir = mkdtempSync(join(tmpdir(), 'drover-term-'));
        dirs.push(dir);
        servers.push(spawnServer(['--data', dir, '--store', `etcd://${etcd.endpoints[0]!.replace('http://', '')}`, '--etcd-prefix', prefix, '--leader-ttl', String(ttlSeconds), '--log-level', 'error']));
      }
      await Promise.all(servers.map((s) => s.url));
      const leaderKey = `${prefix}/leader/controllers`;
      const pidOf = (value: string) => Number(value.split('/')[1]);
      const first = await until(async () => (await store.get(leaderKey))?.value, 'a first leader', 20_000);
      const leader = servers.find((s) => s.proc.pid === pidOf(first));
      assert.ok(leader, `the leader ${first} is one of the servers`);
      const stoppedAt = Date.now();
      leader.proc.kill('SIGTERM');
      const next = await until(async () => {
        const kv = await store.get(leaderKey);
        return kv && kv.value !== first ? kv.value : undefined;
      }, 'a new leader', ttlSeconds * 1000);
      const takeoverMs = Date.now() - stoppedAt;
      console.log(`# new leader ${takeoverMs} ms after SIGTERM to the leader (lease TTL ${ttlSeconds} s)`);
      assert.ok(takeoverMs < (ttlSeconds * 1000) / 4, `took over after ${takeoverMs} ms: the stopped leader did not resign`);
      assert.equal(pidOf(next), servers.find((s) => s !== leader)!.proc.pid);
      assert.equal(await leader.exited, 0, `the stopped server exits cleanly: ${leader.stderr}`);
    } finally {
      for (const s of servers) s.proc.kill('SIGKILL');
      await store.close();
    }
  });
});

describe('fenced controller writes on etcd', { skip }, () => {
  const etcd = withEtcd(1);

  it('a deposed leader\'s write fails with NotLeaderError and changes nothing', async () => {
    const { FencedStore, NotLeaderError } = await import('../../src/state/fenced-store.js');
    const store = await EtcdStore.open({ endpoints: etcd.endpoints });
    try {
      const electionKey = `/fence-${Date.now()}/leader`;
      const lease = await store.grantLease(60);
      const fence = (await store.put(electionKey, 'old leader', { lease })).revision;
      const fenced = new FencedStore(store, electionKey, fence);
      const first = await fenced.put(`${electionKey}-object`, 'written while leading');
      assert.ok(first.revision > fence);
      // The old leader's lease ends and another server wins the election.
      await store.revokeLease(lease);
      await store.put(electionKey, 'new leader');
      const before = await store.currentRevision();
      await assert.rejects(fenced.put(`${electionKey}-object`, 'late write'), NotLeaderError);
      await assert.rejects(
        fenced.txn({ compare: [{ key: `${electionKey}-object`, target: 'modRevision', op: '=', value: first.revision }], success: [{ type: 'delete', key: `${electionKey}-object` }] }),
        NotLeaderError,
      );
      assert.equal((await store.get(`${electionKey}-object`))?.value, 'written while leading');
      assert.equal(await store.currentRevision(), before);
    } finally {
      await store.close();
    }
  });
});
