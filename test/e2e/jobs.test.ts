// End to end, with a real agent and real processes: a Job's tasks run to completion, parallelism
// at a time; it fails at its backoff limit or its active deadline (its running task killed); its
// runs' logs and events are there; deleting it deletes its tasks.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Task } from '../../src/client/client.js';
import { jobFinished } from '../../src/model/index.js';
import { cli } from '../cli/drover.js';
import { tempDir, until } from '../helpers.js';
import { processesWith, startCluster, type Cluster } from './cluster.js';

describe('jobs', () => {
  let c: Cluster;
  let work: string;
  before(async () => {
    c = await startCluster(1);
    work = tempDir('drover-jobs-');
  });
  after(async () => {
    await c.close();
    rmSync(work, { recursive: true, force: true });
  });

  const tasksOf = async (job: string): Promise<Task[]> => (await c.client.tasks.list({ labelSelector: `drover.io/job=${job}` })).items;
  const finished = (name: string) => until(async () => {
    const job = await c.client.jobs.get(name);
    return jobFinished(job) ? job : undefined;
  }, `job ${name} to finish`, 20_000);
  const eventsOf = async (kind: string, name: string) => (await c.client.events.list()).items.filter((e) => e.spec.involvedObject.kind === kind && e.spec.involvedObject.name === name);

  it('runs completions tasks, parallelism at a time, to Complete; get, logs and events show its runs', async () => {
    const log = join(work, 'runs');
    const drover = cli(c.server.url);
    await drover.ok(['create', 'job', 'render', '--completions', '3', '--parallelism', '2', '-e', `DROVER_E2E=${c.marker}`, '--',
      'sh', '-c', `echo "start $DROVER_TASK" >> ${log}; sleep 0.3; echo "end $DROVER_TASK" >> ${log}; echo "hello from $DROVER_TASK"`]);
    const job = await finished('render');
    assert.equal(jobFinished(job), 'Complete');
    assert.deepEqual([job.status.succeeded, job.status.failed, job.status.active], [3, 0, 0]);
    assert.ok(job.status.startTime && job.status.completionTime);
    const tasks = await tasksOf('render');
    assert.equal(tasks.length, 3, 'one task per completion, none more');
    assert.ok(tasks.every((t) => t.status?.phase === 'Succeeded' && t.metadata.ownerReferences?.[0]?.kind === 'Job'));

    // Never more than two at once: replay the starts and ends in the order they were written.
    let running = 0;
    let most = 0;
    for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
      running += line.startsWith('start') ? 1 : -1;
      most = Math.max(most, running);
    }
    assert.equal(most <= 2 && most >= 1, true, `at most 2 runs at once, saw ${most}`);

    const table = await drover.ok(['get', 'jobs']);
    assert.match(table, /render\s+Complete\s+3\/3/);
    const described = await drover.ok(['describe', 'job', 'render']);
    assert.match(described, /Status:\s+Complete/);
    assert.match(described, /0 active, 3 succeeded, 0 failed/);
    assert.equal(described.split('\n').filter((l) => /^\s+render-\S+\s/.test(l) && l.includes('Succeeded')).length, 3, described);
    const logs = await drover.ok(['logs', 'job/render']);
    assert.equal(logs.split('\n').filter((l) => l.includes('hello from render-')).length, 3, logs);
    const reasons = (await eventsOf('Job', 'render')).map((e) => e.spec.reason);
    assert.ok(reasons.includes('SuccessfulCreate') && reasons.includes('Completed'), `events: ${reasons.join(', ')}`);
  });

  it('a failing job stops at its backoff limit: Failed, BackoffLimitExceeded, one task per run', async () => {
    await c.client.jobs.create({ metadata: { name: 'flaky' }, spec: { backoffLimit: 1, template: { command: ['sh', '-c', 'exit 3'], env: c.env() } } });
    const job = await finished('flaky');
    assert.equal(jobFinished(job), 'Failed');
    assert.equal(job.status.conditions?.find((x) => x.type === 'Failed')?.reason, 'BackoffLimitExceeded');
    assert.equal(job.status.failed, 2);
    const tasks = await tasksOf('flaky');
    assert.equal(tasks.length, 2, 'the limit of 1 allows one retry, no more');
    assert.ok(tasks.every((t) => t.status?.phase === 'Failed' && t.status.exitCode === 3));
  });

  it('a job past its active deadline fails, DeadlineExceeded, and its running process is killed', async () => {
    const mark = `${c.marker}-deadline`;
    await c.client.jobs.create({ metadata: { name: 'slow' }, spec: { activeDeadlineSeconds: 2, template: { command: ['sleep', '60'], env: c.env({ MARK: mark }) } } });
    await until(() => processesWith(mark).length > 0, 'the job to run');
    const job = await finished('slow');
    assert.equal(job.status.conditions?.find((x) => x.type === 'Failed')?.reason, 'DeadlineExceeded');
    await until(() => processesWith(mark).length === 0, 'its process to be killed');
    await until(async () => (await tasksOf('slow')).length === 0, 'its killed task to be gone');
    assert.equal((await c.client.jobs.get('slow')).status.succeeded, 0);
  });

  it('deleting a running job deletes its tasks and stops their processes', async () => {
    const mark = `${c.marker}-delete`;
    await c.client.jobs.create({ metadata: { name: 'doomed' }, spec: { parallelism: 2, completions: 2, template: { command: ['sleep', '60'], env: c.env({ MARK: mark }) } } });
    await until(() => processesWith(mark).length === 2, 'both tasks to run');
    await c.client.jobs.delete('doomed');
    await until(async () => (await tasksOf('doomed')).length === 0, 'its tasks to be deleted');
    await until(() => processesWith(mark).length === 0, 'its processes to stop');
  });

  it('refuses a job that would restart always, and a cronjob with a bad schedule or time zone, saying why', async () => {
    const refused = (pattern: RegExp) => (err: unknown) => {
      const text = JSON.stringify({ message: (err as Error).message, details: (err as { details?: unknown }).details });
      assert.match(text, pattern);
      return true;
    };
    await assert.rejects(c.client.jobs.create({ metadata: { name: 'forever' }, spec: { template: { command: ['sleep', '1'], restartPolicy: 'always' } } }), refused(/restartPolicy.*runs to completion/));
    const cron = (schedule: string, timeZone?: string) => c.client.cronJobs.create({ metadata: { name: 'bad' }, spec: { schedule, ...(timeZone ? { timeZone } : {}), jobTemplate: { spec: { template: { command: ['true'] } } } } });
    await assert.rejects(cron('61 * * * *'), refused(/spec\/schedule.*minute/));
    await assert.rejects(cron('* * * *'), refused(/5 fields .* or 6 .*got 4/));
    await assert.rejects(cron('@hourly', 'Mars/Olympus'), refused(/unknown time zone \\"Mars\/Olympus\\"/));
    assert.equal(await c.client.jobs.find('forever'), undefined, 'nothing was created');
    assert.equal(await c.client.cronJobs.find('bad'), undefined, 'nothing was created');
  });
});
