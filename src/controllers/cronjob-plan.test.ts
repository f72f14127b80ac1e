import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CronJob, Job } from '../model/index.js';
import { planCronJob } from './cronjob-plan.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => T0 + s * 1000;
const iso = (s: number) => new Date(at(s)).toISOString();

function cronJob(spec: Partial<CronJob['spec']> = {}, status: CronJob['status'] = {}): CronJob {
  return {
    apiVersion: 'drover/v1',
    kind: 'CronJob',
    metadata: { name: 'tick', namespace: 'default', uid: 'cj1', revision: 1, generation: 1, createdAt: iso(0), updatedAt: iso(0) },
    spec: { schedule: '*/2 * * * * *', jobTemplate: { spec: { template: { command: ['true'] } } }, ...spec },
    status,
  };
}

function job(name: string, createdS: number, finished?: 'Complete' | 'Failed'): Job {
  return {
    apiVersion: 'drover/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default', uid: name, revision: 1, generation: 1, createdAt: iso(createdS), updatedAt: iso(createdS), ownerReferences: [{ kind: 'CronJob', name: 'tick', uid: 'cj1', controller: true }] },
    spec: { template: { command: ['true'] } },
    status: finished ? { conditions: [{ type: finished, status: 'True' }], completionTime: iso(createdS + 1) } : {},
  };
}

describe('planCronJob', () => {
  it('runs nothing before the first scheduled time after creation, and wakes up then', () => {
    const p = planCronJob(cronJob(), [], at(1));
    assert.equal(p.run, undefined);
    assert.equal(p.wakeAt, at(2));
  });

  it('runs a due time once, named after it', () => {
    const p = planCronJob(cronJob(), [], at(2.5));
    assert.deepEqual(p.run, { name: `tick-${at(2) / 1000}`, scheduled: new Date(at(2)) });
    assert.equal(p.wakeAt, at(4));
  });

  it('after missing several times, runs only the most recent one (one catch-up, never a burst)', () => {
    const p = planCronJob(cronJob({}, { lastScheduleTime: iso(2) }), [], at(11));
    assert.equal(p.run?.scheduled.getTime(), at(10));
  });

  it('skips a catch-up older than the starting deadline', () => {
    const p = planCronJob(cronJob({ startingDeadlineSeconds: 1 }, { lastScheduleTime: iso(2) }), [], at(11.5));
    assert.equal(p.run, undefined);
    assert.equal(p.events[0]?.reason, 'MissedSchedule');
    assert.ok(planCronJob(cronJob({ startingDeadlineSeconds: 2 }, { lastScheduleTime: iso(2) }), [], at(11.5)).run, 'within the deadline it runs');
  });

  it('moves only the schedule time when the job of a due time exists already (made by a previous leader)', () => {
    const name = `tick-${at(4) / 1000}`;
    const p = planCronJob(cronJob({}, { lastScheduleTime: iso(2) }), [job(name, 4)], at(4.5));
    assert.equal(p.run, undefined);
    assert.equal(p.status.lastScheduleTime, iso(4));
  });

  it('Forbid skips a time while a run is active; Allow overlaps; Replace deletes the active run', () => {
    const active = job('tick-1767225602', 2);
    const base = { lastScheduleTime: iso(2), active: ['tick-1767225602'] };
    const forbid = planCronJob(cronJob({ concurrencyPolicy: 'Forbid' }, base), [active], at(4.1));
    assert.equal(forbid.run, undefined);
    assert.equal(forbid.events[0]?.reason, 'JobAlreadyActive');
    assert.ok(planCronJob(cronJob({ concurrencyPolicy: 'Allow' }, base), [active], at(4.1)).run);
    const replace = planCronJob(cronJob({ concurrencyPolicy: 'Replace' }, base), [active], at(4.1));
    assert.ok(replace.run);
    assert.deepEqual(replace.delete.map((d) => d.job.metadata.name), ['tick-1767225602']);
  });

  it('keeps the newest finished jobs within the history limits, and reports the ones it saw finish', () => {
    const jobs = [job('a', 1, 'Complete'), job('b', 2, 'Complete'), job('c', 3, 'Complete'), job('d', 4, 'Failed'), job('e', 5, 'Failed')];
    const p = planCronJob(cronJob({ successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 }, { lastScheduleTime: iso(6), active: ['e'] }), jobs, at(6.5));
    assert.deepEqual(p.delete.map((d) => d.job.metadata.name).sort(), ['a', 'd']);
    assert.deepEqual(p.events.map((e) => e.message), ['saw completed job e, status: Failed']);
    assert.equal(p.status.lastSuccessfulTime, iso(4));
  });

  it('a suspended cronjob starts nothing', () => {
    assert.equal(planCronJob(cronJob({ suspend: true }), [], at(9)).run, undefined);
  });

  it('reads the schedule in its time zone', () => {
    const daily = cronJob({ schedule: '0 3 * * *', timeZone: 'Asia/Tokyo' });
    // 03:00 in Tokyo is 18:00 UTC the day before.
    assert.equal(planCronJob(daily, [], at(0)).wakeAt, Date.parse('2026-01-01T18:00:00Z'));
  });
});
