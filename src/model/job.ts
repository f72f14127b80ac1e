// Job: a task template run to completion (Kubernetes' batch/v1 Job): tasks are started until
// `completions` of them succeeded, at most `parallelism` at a time; the job fails once more than
// `backoffLimit` runs failed, or when it ran longer than `activeDeadlineSeconds`.
import type { ApiObject, Condition } from './meta.js';
import type { Constraints, TaskTemplate } from './template.js';

export interface JobSpec {
  /** What each task runs; restartPolicy never (default: a failed run is a new task) or on-failure (restarted in place). */
  template: TaskTemplate;
  /** Successful tasks needed (default 1). */
  completions?: number;
  /** Tasks running at once (default 1; never more than the completions still missing). */
  parallelism?: number;
  /** Failed runs tolerated before the job fails (default 6). */
  backoffLimit?: number;
  /** The job fails, its running tasks killed, this long after it started. */
  activeDeadlineSeconds?: number;
  constraints?: Constraints;
}

export const JOB_COMPLETE = 'Complete';
export const JOB_FAILED = 'Failed';
export const BACKOFF_LIMIT_EXCEEDED = 'BackoffLimitExceeded';
export const DEADLINE_EXCEEDED = 'DeadlineExceeded';

export interface JobStatus {
  /** Tasks running or waiting to run. */
  active?: number;
  succeeded?: number;
  /** Failed runs: failed or lost tasks, and restarts of on-failure ones. */
  failed?: number;
  startTime?: string;
  completionTime?: string;
  /** Complete or Failed (reason BackoffLimitExceeded or DeadlineExceeded), once finished. */
  conditions?: Condition[];
}

export type Job = ApiObject<JobSpec, JobStatus>;

/** Label every task of a job carries: the job's name (`drover get tasks -l drover.io/job=NAME`). */
export const JOB_LABEL = 'drover.io/job';

export const JOB_DEFAULTS = { completions: 1, parallelism: 1, backoffLimit: 6 } as const;

/** "Complete" or "Failed" once the job finished, else undefined. */
export function jobFinished(job: Pick<Job, 'status'>): typeof JOB_COMPLETE | typeof JOB_FAILED | undefined {
  for (const c of job.status?.conditions ?? []) {
    if (c.status === 'True' && (c.type === JOB_COMPLETE || c.type === JOB_FAILED)) return c.type;
  }
  return undefined;
}
