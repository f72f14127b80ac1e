// A CronJob every 2 s on three `drover server`s over a 3-member etcd, leader lease 3 s; the leading server is
// killed (SIGKILL) just as it started a run. The new leader must neither run a scheduled time
// again (one job per time, one task per job, each started once) nor drop the run that fell due
// while no leader ran: it starts that one catch-up run (the most recent time, within the
// starting deadline), then goes on with the schedule.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startHollowAgents, type HollowAgents } from '../../src/agent/hollow.js';
import { Client, type Job } from '../../src/client/client.js';
import { cronSchedule } from '../../src/model/cron-schedule.js';
import { JOB_LABEL, SCHEDULED_AT_ANNOTATION } from '../../src/model/index.js';
import { EtcdStore } from '../../src/store/etcd.js';
import { until } from '../helpers.js';
import { etcdSkipReason, withEtcd } from './etcd-process.js';
import { isCompiled, spawnServer, type ServerProcess } from './server-process.js';

const skip = etcdSkipReason();
if (skip) console.log(`# skipping the etcd cronjob failover test: ${skip}`);

const scheduledAt = (j: Job) => Date.parse(j.metadata.annotations?.[SCHEDULED_AT_ANNOTATION] ?? '');

describe('kill -9 of the leading server while a cronjob runs every 2 s', { skip }, () => {
  const etcd = withEtcd(3);
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('never runs a scheduled time twice and catches up the run that fell due without a leader', async (t) => {
    if (!isCompiled) {
      t.skip('spawns bin/drover.js: runs from the compiled tests (npm test)');
      return;
    }
    const prefix = `/drover-cron-${Date.now()}`;
    const servers: ServerProcess[] = [];
    let hollow: HollowAgents | undefined;
    const store = await EtcdStore.open({ endpoints: etcd.endpoints });
    try {
      const storeUrl = `etcd://${etcd.endpoints.map((e) => e.replace('http://', '')).join(',')}`;
      for (let i = 0; i < 3; i++) {
        const dir = mkdtempSync(join(tmpdir(), 'drover-cron-'));
        dirs.push(dir);
        servers.push(spawnServer(['--data', dir, '--store', storeUrl, '--etcd-prefix', prefix, '--leader-ttl', '3', '--log-level', 'error']));
      }
      const urls = await Promise.all(servers.map((s) => s.url));
      // Which tasks the machines started, and how often.
      const starts = new Map<string, number>();
      hollow = await startHollowAgents({ server: urls, count: 2, heartbeatMs: 500, logLevel: 'silent', onStart: (task) => starts.set(task.metadata.name, (starts.get(task.metadata.name) ?? 0) + 1) });
      const leaderKey = `${prefix}/leader/controllers`;
      const first = await until(async () => (await store.get(leaderKey))?.value, 'a first leader', 20_000);
      const leader = servers.find((s) => s.proc.pid === Number(first.split('/')[1]));
      assert.ok(leader, `the leader ${first} is one of the servers`);

      const client = new Client({ server: urls.filter((_, i) => servers[i] !== leader), timeoutMs: 15_000 });
      await client.cronJobs.create({
        metadata: { name: 'tick' },
        spec: { schedule: '*/2 * * * * *', startingDeadlineSeconds: 20, jobTemplate: { spec: { template: { command: ['sleep', 'infinity'] } } } },
      });
      const jobs = async () => (await client.jobs.list({ labelSelector: 'drover.io/cronjob=tick' })).items.sort((a, b) => scheduledAt(a) - scheduledAt(b));
      // Kill it right after it started a run: the next time falls due while no one leads.
      const beforeKill = await until(async () => {
        const js = await jobs();
        return js.length >= 2 ? js : undefined;
      }, 'two runs by the first leader', 15_000);
      leader.proc.kill('SIGKILL');
      const killedAt = Date.now();
      const lastBefore = scheduledAt(beforeKill.at(-1)!);

      const next = await until(async () => {
        const kv = await store.get(leaderKey);
        return kv && kv.value !== first ? kv.value : undefined;
      }, 'a new leader', 10_000);
      assert.ok(next);
      // Two runs by the new leader past the takeover.
      const all = await until(async () => {
        const js = await jobs();
        return js.filter((j) => Date.parse(j.metadata.createdAt) > killedAt).length >= 3 ? js : undefined;
      }, 'three runs after the kill', 20_000);

      const times = all.map(scheduledAt);
      assert.equal(new Set(times).size, times.length, `one job per scheduled time: ${all.map((j) => j.metadata.name).join(', ')}`);
      for (const j of all) {
        const tasks = (await client.tasks.list({ labelSelector: `${JOB_LABEL}=${j.metadata.name}` })).items;
        assert.equal(tasks.length, 1, `job ${j.metadata.name} has one task, not ${tasks.length}`);
        await until(() => starts.get(tasks[0]!.metadata.name) !== undefined, `the task of ${j.metadata.name} to start`, 10_000);
        assert.equal(starts.get(tasks[0]!.metadata.name), 1, `the task of ${j.metadata.name} started once`);
      }
      // The first run after the kill is the catch-up: the most recent time due when it was made,
      // which fell due after the kill (no leader ran then), not a later one.
      const every2s = cronSchedule('*/2 * * * * *');
      const catchUp = all.find((j) => scheduledAt(j) > lastBefore)!;
      assert.equal(scheduledAt(catchUp), every2s.latest(new Date(catchUp.metadata.createdAt))!.getTime(), 'the catch-up is for the most recent due time');
      assert.ok(Date.parse(catchUp.metadata.createdAt) > killedAt, 'the catch-up was made by the new leader')
      // After the takeover the schedule goes on without a gap.
      const after = times.filter((x) => x >= scheduledAt(catchUp));
      for (let i = 1; i < after.length; i++) assert.equal(after[i]! - after[i - 1]!, 2_000, `no run skipped after the takeover: ${after.map((x) => new Date(x).toISOString()).join(', ')}`);
      console.log(`# killed at ${new Date(killedAt).toISOString()}, new leader ${next}; last run before for ${new Date(lastBefore).toISOString()}, catch-up for ${new Date(scheduledAt(catchUp)).toISOString()} made at ${catchUp.metadata.createdAt}`);
    } finally {
      await hollow?.close();
      for (const s of servers) s.proc.kill('SIGKILL');
      await store.close();
    }
  });
});
