// Planning one CronJob, pure over its jobs and the time (Kubernetes' cronjob controller v2):
// - only the most recent scheduled time since status.lastScheduleTime (or creation) is run: a
//   server or leader that was down across several times starts one catch-up run, never a burst,
//   and none when that time is older than startingDeadlineSeconds;
// - the job's name is derived from its scheduled time, so a time is never run twice, even by two
//   leaders one after the other (creating an existing name fails);
// - Forbid skips a time while a run is active, Replace deletes the active runs first;
// - finished jobs beyond the history limits are deleted, oldest first.
import { cronSchedule } from '../model/cron-schedule.js';
import { CRONJOB_DEFAULTS, JOB_COMPLETE, jobFinished, scheduledJobName, type CronJob, type CronJobStatus, type Job } from '../model/index.js';
import type { JobEvent } from './job-plan.js';

export interface CronJobPlan {
  /** The job to run now, for this scheduled time. */
  run?: { name: string; scheduled: Date };
  /** Jobs to delete: active ones Replace kills, finished ones beyond the history limits. */
  delete: { job: Job; why: string }[];
  status: CronJobStatus;
  events: JobEvent[];
  /** Plan again at this time (ms since the epoch): the next scheduled time. */
  wakeAt?: number;
}

export function planCronJob(cj: CronJob, jobs: Job[], now: number): CronJobPlan {
  const spec = { ...CRONJOB_DEFAULTS, ...cj.spec };
  const events: JobEvent[] = [];
  const out: CronJobPlan = { delete: [], status: {}, events };
  const byAge = [...jobs].sort((a, b) => a.metadata.createdAt.localeCompare(b.metadata.createdAt) || a.metadata.name.localeCompare(b.metadata.name));
  const active = byAge.filter((j) => !jobFinished(j) && !j.metadata.deletionTimestamp);
  const succeeded = byAge.filter((j) => jobFinished(j) === JOB_COMPLETE);
  const failed = byAge.filter((j) => jobFinished(j) === 'Failed');

  const wasActive = new Set(cj.status?.active ?? []);
  for (const j of [...succeeded, ...failed]) {
    if (wasActive.has(j.metadata.name)) events.push({ type: 'Normal', reason: 'SawCompletedJob', message: `saw completed job ${j.metadata.name}, status: ${jobFinished(j)}` });
  }
  for (const j of succeeded.slice(0, Math.max(0, succeeded.length - spec.successfulJobsHistoryLimit))) out.delete.push({ job: j, why: 'beyond the successful jobs history limit' });
  for (const j of failed.slice(0, Math.max(0, failed.length - spec.failedJobsHistoryLimit))) out.delete.push({ job: j, why: 'beyond the failed jobs history limit' });

  const lastSuccess = succeeded.map((j) => j.status?.completionTime ?? '').reduce((a, b) => (b > a ? b : a), cj.status?.lastSuccessfulTime ?? '');
  out.status = {
    ...(cj.status?.lastScheduleTime ? { lastScheduleTime: cj.status.lastScheduleTime } : {}),
    ...(lastSuccess ? { lastSuccessfulTime: lastSuccess } : {}),
    active: active.map((j) => j.metadata.name),
  };
  if (spec.suspend) return out;

  const schedule = cronSchedule(spec.schedule, spec.timeZone);
  const since = new Date(cj.status?.lastScheduleTime ?? cj.metadata.createdAt);
  const first = schedule.next(since);
  const nowDate = new Date(now);
  if (first === undefined || first > nowDate) {
    if (first) out.wakeAt = first.getTime();
    return out;
  }
  out.wakeAt = schedule.next(nowDate)?.getTime();
  const due = schedule.latest(nowDate)!;
  if (spec.startingDeadlineSeconds !== undefined && now - due.getTime() > spec.startingDeadlineSeconds * 1000) {
    events.push({ type: 'Warning', reason: 'MissedSchedule', message: `missed the run of ${due.toISOString()}: not started within its starting deadline of ${spec.startingDeadlineSeconds} s` });
    return out;
  }
  const name = scheduledJobName(cj.metadata.name, due);
  if (jobs.some((j) => j.metadata.name === name)) {
    // Made already (by this leader before a failed status write, or by the one before it).
    out.status.lastScheduleTime = due.toISOString();
    return out;
  }
  if (active.length > 0 && spec.concurrencyPolicy === 'Forbid') {
    events.push({ type: 'Normal', reason: 'JobAlreadyActive', message: `not starting the run of ${due.toISOString()}: ${active.map((j) => j.metadata.name).join(', ')} still running and the concurrency policy is Forbid` });
    return out;
  }
  if (spec.concurrencyPolicy === 'Replace') for (const j of active) out.delete.push({ job: j, why: 'replaced by a new run (concurrency policy Replace)' });
  out.run = { name, scheduled: due };
  return out;
}
