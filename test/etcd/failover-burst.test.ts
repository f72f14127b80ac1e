// kill -9 of the leading server in the middle of a burst of writes: three `drover server`
// processes on a 3-member etcd, hollow machines and clients that know every server. Nothing a
// server acknowledged may be lost, a new leader must take over within 2× the lease TTL, and no
// task may be scheduled twice (by the dying leader and its successor) or run on two machines.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startHollowAgents, type HollowAgents } from '../../src/agent/hollow.js';
import { Client, type Service, type Task } from '../../src/client/client.js';
import { EtcdStore } from '../../src/store/etcd.js';
import { until } from '../helpers.js';
import { etcdSkipReason, withEtcd } from './etcd-process.js';
import { isCompiled, spawnServer, type ServerProcess } from './server-process.js';

const skip = etcdSkipReason();
if (skip) console.log(`# skipping the etcd failover burst test: ${skip}`);

const ownerOf = (t: Task) => t.metadata.ownerReferences?.find((r) => r.controller)?.name;

describe('kill -9 of the leading server during a scheduling burst', { skip }, () => {
  const etcd = withEtcd(3);
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('loses no acknowledged write, elects a new leader within 2× the TTL, and schedules every task exactly once', async (t) => {
    if (!isCompiled) {
      t.skip('spawns bin/drover.js: runs from the compiled tests (npm test)');
      return;
    }
    const prefix = `/drover-burst-${Date.now()}`;
    const ttlSeconds = 2;
    const servers: ServerProcess[] = [];
    let hollow: HollowAgents | undefined;
    const store = await EtcdStore.open({ endpoints: etcd.endpoints });
    try {
      const started = Date.now();
      const storeUrl = `etcd://${etcd.endpoints.map((e) => e.replace('http://', '')).join(',')}`;
      for (let i = 0; i < 3; i++) {
        const dir = mkdtempSync(join(tmpdir(), 'drover-burst-'));
        dirs.push(dir);
        servers.push(spawnServer(['--data', dir, '--store', storeUrl, '--etcd-prefix', prefix, '--leader-ttl', String(ttlSeconds), '--log-level', 'error']));
      }
      const urls = await Promise.all(servers.map((s) => s.url));

      // Which machine started which task, as the hollow driver saw it.
      const startedOn = new Map<string, Set<string>>();
      const startedBy = new Map<string, Set<string>>();
      hollow = await startHollowAgents({
        server: urls,
        count: 4,
        heartbeatMs: 500,
        logLevel: 'silent',
        onStart: (task) => {
          const name = task.metadata.name;
          if (!startedOn.has(name)) startedOn.set(name, new Set());
          startedOn.get(name)!.add(task.spec.machine ?? '');
          const owner = ownerOf(task);
          if (owner) {
            if (!startedBy.has(owner)) startedBy.set(owner, new Set());
            startedBy.get(owner)!.add(name);
          }
        },
      });

      const leaderKey = `${prefix}/leader/controllers`;
      const pidOf = (value: string) => Number(value.split('/')[1]);
      const first = await until(async () => (await store.get(leaderKey))?.value, 'a first leader', 20_000);
      const leader = servers.find((s) => s.proc.pid === pidOf(first));
      assert.ok(leader, `the leader ${first} is one of the servers`);

      // Three writers, each preferring a different server (the leader included), all able to fail over.
      const clients = urls.map((_, i) => new Client({ server: [...urls.slice(i), ...urls.slice(0, i)], timeoutMs: 15_000 }));
      // 45 services of 1–3 replicas and, every fourth write, a one-off task (15).
      const total = 60;
      const isOneOff = (i: number) => i % 4 === 3;
      const replicasOf = (i: number) => 1 + (i % 3);
      const acknowledged = new Map<string, number>();
      const acknowledgedTasks = new Set<string>();
      const failed: string[] = [];
      let next = 0;
      let killedAt = 0;
      let takeover: Promise<{ value: string; ms: number }> | undefined;
      const writer = async (client: Client) => {
        while (next < total) {
          const i = next++;
          const name = isOneOff(i) ? `oneoff-${i}` : `burst-${i}`;
          const template = { command: ['sleep', 'infinity'], resources: { cpu: '10m', memory: '1Mi' } };
          try {
            // PUT is idempotent: a retry on another server after a dropped connection is safe.
            if (isOneOff(i)) {
              await client.tasks.replace({ metadata: { name }, spec: { template } });
              acknowledgedTasks.add(name);
            } else {
              await client.services.replace({ metadata: { name }, spec: { replicas: replicasOf(i), template } });
              acknowledged.set(name, replicasOf(i));
            }
          } catch (err) {
            failed.push(`${name}: ${(err as Error).message}`);
          }
          if (acknowledged.size + acknowledgedTasks.size === 20 && !killedAt) {
            killedAt = Date.now();
            leader.proc.kill('SIGKILL');
            takeover = until(async () => {
              const kv = await store.get(leaderKey);
              return kv && kv.value !== first ? { value: kv.value, ms: Date.now() - killedAt } : undefined;
            }, 'a new leader', 4 * ttlSeconds * 1000);
          }
        }
      };
      await Promise.all(clients.map(writer));
      assert.ok(killedAt && takeover, 'the leader was killed during the burst');
      const nextLeader = await takeover;
      const takeoverMs = nextLeader.ms;
      assert.ok(servers.some((s) => s !== leader && s.proc.pid === pidOf(nextLeader.value)), 'a surviving server leads');

      // Every write a server acknowledged is there, and the rest converges on it.
      const survivors = urls.filter((_, i) => servers[i] !== leader);
      const client = new Client({ server: survivors });
      assert.deepEqual(failed, [], 'every write succeeded (on another server if need be)');
      assert.equal(acknowledged.size + acknowledgedTasks.size, total);
      const services = (await client.services.listAll()).items as Service[];
      for (const [name] of acknowledged) assert.ok(services.some((s) => s.metadata.name === name), `acknowledged service ${name} exists`);
      const oneOffRunning = (tasks: Task[]) => [...acknowledgedTasks].every((name) => tasks.some((t) => t.metadata.name === name && t.status?.phase === 'Running'));

      const running = (tasks: Task[], name: string) => tasks.filter((t) => ownerOf(t) === name && t.status?.phase === 'Running');
      let last: Task[] = [];
      const converged = await until(
        async () => {
          const tasks = (last = (await client.tasks.listAll()).items as Task[]);
          return [...acknowledged].every(([name, replicas]) => running(tasks, name).length === replicas) && oneOffRunning(tasks) ? tasks : undefined;
        },
        'every service running its replicas and every one-off task running',
        30_000,
      ).catch((err: Error) => {
        const behind = [...acknowledged].filter(([name, replicas]) => running(last, name).length !== replicas);
        const show = (name: string) => last.filter((t) => ownerOf(t) === name).map((t) => `${t.metadata.name}@${t.spec.machine ?? '-'}:${t.status?.phase ?? '?'}`).join(' ');
        const idle = [...acknowledgedTasks].filter((name) => !last.some((t) => t.metadata.name === name && t.status?.phase === 'Running'));
        throw new Error(`${err.message}; not converged: ${behind.map(([name, replicas]) => `${name} (${replicas}): ${show(name)}`).join('; ')}; one-off tasks not running: ${idle.join(', ')}`);
      });
      const convergedMs = Date.now() - killedAt;

      for (const [name, replicas] of acknowledged) {
        const owned = converged.filter((t) => ownerOf(t) === name);
        assert.equal(owned.length, replicas, `service ${name} has ${owned.length} tasks, not ${replicas}: ${owned.map((o) => o.metadata.name).join(', ')}`);
        assert.equal(startedBy.get(name)?.size, replicas, `the machines started ${[...(startedBy.get(name) ?? [])].join(', ')} for ${name}, ${replicas} replicas`);
      }
      assert.equal(converged.length, [...acknowledged.values()].reduce((a, b) => a + b, 0) + acknowledgedTasks.size, 'no task beyond the replicas and the one-off tasks');
      for (const task of converged) {
        assert.ok(task.spec.machine, `task ${task.metadata.name} is bound`);
        const owners = acknowledgedTasks.has(task.metadata.name) ? 0 : 1;
        assert.equal(task.metadata.ownerReferences?.filter((r) => r.controller).length ?? 0, owners, `task ${task.metadata.name} has ${owners} owner(s)`);
        assert.deepEqual([...(startedOn.get(task.metadata.name) ?? [])], [task.spec.machine], `task ${task.metadata.name} ran only on its machine`);
      }
      for (const [name, machines] of startedOn) assert.equal(machines.size, 1, `task ${name} started on ${[...machines].join(' and ')}`);
      console.log(`# new leader after ${takeoverMs} ms (TTL ${ttlSeconds} s); all ${total} services and tasks converged ${convergedMs} ms after the kill; test ${Date.now() - started} ms`);
      assert.ok(takeoverMs <= 2 * ttlSeconds * 1000, `took over after ${takeoverMs} ms, more than 2× the TTL`);
    } finally {
      await hollow?.close();
      for (const s of servers) s.proc.kill('SIGKILL');
      await store.close();
    }
  });
});
