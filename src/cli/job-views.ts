// How the CLI shows Jobs and CronJobs: `get jobs|cronjobs` rows and their `describe` lines.
import { JOB_DEFAULTS, jobFinished, type CronJob, type Job } from '../model/index.js';
import type { Columns } from './kinds.js';
import { age, colourState } from './output.js';

/** Complete, Failed (with its reason) or Running, as `get jobs` shows it. */
export function jobState(job: Job): string {
  const finished = jobFinished(job);
  if (!finished) return 'Running';
  const reason = job.status.conditions?.find((c) => c.type === finished)?.reason;
  return finished === 'Failed' && reason ? `Failed,${reason}` : finished;
}

/** "12s" from start to completion (or to now while running). */
function duration(job: Job, now: number): string {
  if (!job.status?.startTime) return '';
  return age(job.status.startTime, job.status.completionTime ? Date.parse(job.status.completionTime) : now);
}

export const jobColumns: Columns = {
  header: ['NAME', 'STATUS', 'COMPLETIONS', 'ACTIVE', 'SUCCEEDED', 'FAILED', 'DURATION', 'AGE'],
  colour: 1,
  row: (o, ctx) => {
    const job = o as Job;
    const s = job.status ?? {};
    return [job.metadata.name, jobState(job), `${s.succeeded ?? 0}/${job.spec.completions ?? JOB_DEFAULTS.completions}`, String(s.active ?? 0), String(s.succeeded ?? 0), String(s.failed ?? 0), duration(job, ctx.now), age(job.metadata.createdAt, ctx.now)];
  },
};

export const cronJobColumns: Columns = {
  header: ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE'],
  colour: -1,
  row: (o, ctx) => {
    const cj = o as CronJob;
    const last = cj.status?.lastScheduleTime;
    return [cj.metadata.name, cj.spec.schedule, cj.spec.timeZone ?? 'UTC', String(cj.spec.suspend ?? false), String(cj.status?.active?.length ?? 0), last ? `${age(last, ctx.now)} ago` : '<none>', age(cj.metadata.createdAt, ctx.now)];
  },
};

export function jobFields(job: Job, field: (label: string, value: unknown) => void): void {
  const s = job.status ?? {};
  field('Status', colourState(jobState(job)));
  field('Tasks', `${s.active ?? 0} active, ${s.succeeded ?? 0} succeeded, ${s.failed ?? 0} failed (of ${job.spec.completions ?? JOB_DEFAULTS.completions} completions, ${job.spec.parallelism ?? JOB_DEFAULTS.parallelism} at a time, backoff limit ${job.spec.backoffLimit ?? JOB_DEFAULTS.backoffLimit})`);
  if (s.startTime) field('Started', s.startTime);
  if (s.completionTime) field('Completed', s.completionTime);
}

export function cronJobFields(cj: CronJob, field: (label: string, value: unknown) => void): void {
  field('Schedule', `${cj.spec.schedule} (${cj.spec.timeZone ?? 'UTC'})${cj.spec.suspend ? ', suspended' : ''}`);
  field('Concurrency', cj.spec.concurrencyPolicy ?? 'Allow');
  if (cj.spec.startingDeadlineSeconds !== undefined) field('Deadline', `${cj.spec.startingDeadlineSeconds} s to start a run`);
  field('Last run', cj.status?.lastScheduleTime);
  field('Last success', cj.status?.lastSuccessfulTime);
  field('Active', (cj.status?.active ?? []).join(', '));
}
