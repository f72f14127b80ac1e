// End to end, in real time with a real agent and real processes: CronJobs every second or two.
// Forbid never overlaps a long run; Replace kills the old run; history limits delete old jobs;
// `drover job run-now` and `drover get cronjobs`; deleting a cronjob deletes its jobs and stops
// their tasks. And a server stopped across two scheduled times starts one catch-up run, not two.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, type CronJob, type Job } from '../../src/client/client.js';
import { cronSchedule } from '../../src/model/cron-schedule.js';
import { jobFinished, SCHEDULED_AT_ANNOTATION } from '../../src/model/index.js';
import { startServer } from '../../src/server.js';
import { cli } from '../cli/drover.js';
import { tempDir, until } from '../helpers.js';
import { processesWith, startCluster, type Cluster } from './cluster.js';

const scheduledAt = (j: Job) => Date.parse(j.metadata.annotations?.[SCHEDULED_AT_ANNOTATION] ?? '');

describe('cronjobs', () => {
  let c: Cluster;
  let work: string;
  before(async () => {
    c = await startCluster(1);
    work = tempDir('drover-cronjobs-');
  });
  after(async () => {
    await c.close();
    rmSync(work, { recursive: true, force: true });
  });

  const jobsOf = async (cronjob: string): Promise<Job[]> => (await c.client.jobs.list({ labelSelector: `drover.io/cronjob=${cronjob}` })).items.sort((a, b) => scheduledAt(a) - scheduledAt(b));
  const cronJob = (name: string, spec: Partial<CronJob['spec']>, command: string[], env: Record<string, string> = {}) =>
    c.client.cronJobs.create({ metadata: { name }, spec: { schedule: '* * * * * *', ...spec, jobTemplate: { spec: { template: { command, env: c.env(env) } } } } });

  it('Forbid never starts a run while the last one still runs', async () => {
    const log = join(work, 'forbid');
    await cronJob('forbid', { concurrencyPolicy: 'Forbid' }, ['sh', '-c', `echo "start $(date +%s.%N)" >> ${log}; sleep 2; echo "end $(date +%s.%N)" >> ${log}`]);
    await until(async () => (await jobsOf('forbid')).filter((j) => jobFinished(j) === 'Complete').length >= 2, 'two runs to complete', 20_000);
    await c.client.cronJobs.patch('forbid', { spec: { suspend: true } });
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    // Strictly alternating start, end, start, end…: no run began before the previous one ended.
    lines.forEach((line, i) => assert.ok(line.startsWith(i % 2 === 0 ? 'start' : 'end'), `runs overlapped:\n${lines.join('\n')}`));
    const reasons = (await c.client.events.list()).items.filter((e) => e.spec.involvedObject.name === 'forbid').map((e) => e.spec.reason);
    assert.ok(reasons.includes('JobAlreadyActive') && reasons.includes('SuccessfulCreate'), reasons.join(', '));
  });

  it('Replace kills the running job and starts the new one', async () => {
    const mark = `${c.marker}-replace`;
    await cronJob('replace', { schedule: '*/2 * * * * *', concurrencyPolicy: 'Replace' }, ['sleep', '60'], { MARK: mark });
    const first = await until(async () => (await jobsOf('replace')).find((j) => (j.status.active ?? 0) > 0), 'a first run', 10_000);
    await until(() => processesWith(mark).length === 1, 'its process to run');
    const firstPid = processesWith(mark)[0];
    const second = await until(async () => (await jobsOf('replace')).find((j) => scheduledAt(j) > scheduledAt(first)), 'a second run', 10_000);
    await until(async () => !(await c.client.jobs.find(first.metadata.name)), 'the first job to be deleted');
    await until(() => processesWith(mark).length === 1 && processesWith(mark)[0] !== firstPid, "the first run's process killed, the second's running");
    assert.ok(await c.client.jobs.find(second.metadata.name), 'the new run goes on');
    // Deleting the cronjob deletes its jobs, and their tasks stop.
    await c.client.cronJobs.delete('replace');
    await until(async () => (await jobsOf('replace')).length === 0, 'its jobs to be deleted');
    await until(() => processesWith(mark).length === 0, 'its processes to stop');
  });

  it('keeps the history limit of finished jobs; run-now starts one at once; get shows the last schedule', async () => {
    await cronJob('often', { successfulJobsHistoryLimit: 2 }, ['true']);
    const drover = cli(c.server.url);
    const cj = await until(async () => {
      const x = await c.client.cronJobs.get('often');
      return x.status.lastSuccessfulTime && (await jobsOf('often')).filter((j) => jobFinished(j)).length >= 2 ? x : undefined;
    }, 'two successful runs');
    await until(async () => (await c.client.events.list()).items.some((e) => e.spec.involvedObject.name === 'often' && e.spec.reason === 'SuccessfulDelete'), 'an old job to be deleted', 10_000);
    await c.client.cronJobs.patch('often', { spec: { suspend: true } });
    assert.ok((await jobsOf('often')).filter((j) => jobFinished(j) === 'Complete').length <= 2, 'no more than 2 finished jobs kept');
    assert.ok(cj.status.lastScheduleTime);

    const out = await drover.ok(['job', 'run-now', 'often']);
    const made = /job\/(often-manual-\d+) created/.exec(out)?.[1];
    assert.ok(made, out);
    const manual = await c.client.jobs.get(made);
    assert.equal(manual.metadata.ownerReferences?.[0]?.kind, 'CronJob');
    await until(async () => jobFinished(await c.client.jobs.get(made)) === 'Complete', 'the manual run to complete');
    assert.match(await drover.ok(['get', 'cronjobs']), /often\s+\* \* \* \* \* \*\s+UTC\s+true\s+0\s+\d+s ago/);
  });
});

describe('a server stopped across scheduled times', () => {
  it('starts one catch-up run for the most recent time missed, never one per missed time', async () => {
    const dir = tempDir('drover-cron-restart-');
    const open = () => startServer({ listen: '127.0.0.1:0', logLevel: 'error', dataDir: dir });
    let server = await open();
    try {
      const client = new Client({ server: server.url });
      await client.cronJobs.create({ metadata: { name: 'tick' }, spec: { schedule: '*/2 * * * * *', jobTemplate: { spec: { template: { command: ['true'] } } } } });
      await until(async () => (await client.jobs.list()).items.length > 0, 'a first run');
      await server.close();
      const stoppedAt = Date.now();
      // Time passing while the server is down is the scenario: two scheduled times go by.
      const every2s = cronSchedule('*/2 * * * * *');
      const secondMissed = every2s.next(every2s.next(new Date(stoppedAt))!)!.getTime();
      await until(() => Date.now() > secondMissed + 100, 'two scheduled times to pass', 10_000);
      server = await open();
      const restartedAt = Date.now();
      const again = new Client({ server: server.url });
      await until(async () => (await again.jobs.list()).items.some((j) => scheduledAt(j) > restartedAt), 'a run scheduled after the restart', 10_000);
      const missed = (await again.jobs.list()).items.filter((j) => scheduledAt(j) > stoppedAt && scheduledAt(j) <= restartedAt);
      assert.equal(missed.length, 1, `one catch-up run, got ${missed.map((j) => j.metadata.name).join(', ')}`);
      assert.equal(scheduledAt(missed[0]!), every2s.latest(new Date(restartedAt))!.getTime(), 'for the most recent missed time');
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
