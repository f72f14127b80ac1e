// Planning one Job, pure over its tasks and the time: how many tasks to start, which to kill,
// and its status. Kubernetes' job controller rules: at most `parallelism` running, never more
// than the completions still missing; Failed once more than `backoffLimit` runs failed or the
// active deadline passed (the running tasks killed); Complete once `completions` succeeded.
import { BACKOFF_LIMIT_EXCEEDED, DEADLINE_EXCEEDED, JOB_COMPLETE, JOB_DEFAULTS, JOB_FAILED, jobFinished, type Condition, type Job, type JobStatus, type Task } from '../model/index.js';
import { isLive } from './service-plan.js';

export interface JobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface JobPlan {
  /** Tasks to start now. */
  create: number;
  /** Live tasks to kill (the job finished or failed). */
  kill: Task[];
  status: JobStatus;
  events: JobEvent[];
  /** Plan again at this time (ms since the epoch): the active deadline. */
  retryAt?: number;
}

/** Runs that failed: failed or lost tasks, and the restarts of tasks that restart in place. */
export function failedRuns(tasks: Task[]): number {
  let n = 0;
  for (const t of tasks) {
    if (t.status?.phase === 'Failed' || t.status?.phase === 'Lost') n++;
    n += t.status?.restarts ?? 0;
  }
  return n;
}

export function planJob(job: Job, owned: Task[], now: number): JobPlan {
  const live = owned.filter(isLive);
  const succeeded = owned.filter((t) => t.status?.phase === 'Succeeded').length;
  const failed = failedRuns(owned);
  const { completions, parallelism, backoffLimit } = { ...JOB_DEFAULTS, ...job.spec };
  const nowIso = new Date(now).toISOString();
  const startTime = job.status?.startTime ?? nowIso;
  const counts = { active: live.length, succeeded, failed, startTime };
  const events: JobEvent[] = [];

  if (jobFinished(job)) {
    // Finished: nothing starts again; whatever still runs (a kill not yet done) is killed.
    return { create: 0, kill: live, status: { ...job.status, ...counts }, events };
  }
  const finish = (type: string, reason: string, message: string, event: JobEvent['type']): JobPlan => {
    events.push({ type: event, reason, message });
    const conditions: Condition[] = [...(job.status?.conditions ?? []).filter((c) => c.type !== type), { type, status: 'True', reason, message, lastTransitionTime: nowIso }];
    return { create: 0, kill: live, status: { ...counts, completionTime: type === JOB_COMPLETE ? nowIso : undefined, conditions }, events };
  };
  if (succeeded >= completions) return finish(JOB_COMPLETE, 'Completed', `${succeeded} of ${completions} tasks succeeded`, 'Normal');
  if (failed > backoffLimit) return finish(JOB_FAILED, BACKOFF_LIMIT_EXCEEDED, `${failed} runs failed, more than the backoff limit of ${backoffLimit}`, 'Warning');
  const deadline = job.spec.activeDeadlineSeconds === undefined ? undefined : Date.parse(startTime) + job.spec.activeDeadlineSeconds * 1000;
  if (deadline !== undefined && now >= deadline) return finish(JOB_FAILED, DEADLINE_EXCEEDED, `still running ${job.spec.activeDeadlineSeconds} s after it started: its tasks were killed`, 'Warning');

  const wanted = Math.min(parallelism, completions - succeeded);
  const create = Math.max(0, wanted - live.length);
  return { create, kill: [], status: { ...counts, active: live.length + create, conditions: job.status?.conditions }, events, ...(deadline !== undefined ? { retryAt: deadline } : {}) };
}
