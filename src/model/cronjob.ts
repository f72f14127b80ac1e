// CronJob: a Job made on a cron schedule (Kubernetes' batch/v1 CronJob). Schedules have the five
// cron fields, or six with seconds first ("*/2 * * * * *": drover's addition, for short periods),
// or a macro (@hourly, @daily…), read in `timeZone` (default UTC).
import type { Job, JobSpec } from './job.js';
import { API_VERSION, DEFAULT_NAMESPACE, type ApiObject } from './meta.js';

export type ConcurrencyPolicy = 'Allow' | 'Forbid' | 'Replace';

export interface CronJobSpec {
  schedule: string;
  /** An IANA time zone ("Europe/Paris"); default UTC. */
  timeZone?: string;
  /** Allow (default): runs may overlap; Forbid: skip a run while one is active; Replace: kill the active one and start the new. */
  concurrencyPolicy?: ConcurrencyPolicy;
  /** A run not started this long after its scheduled time is missed, not caught up. */
  startingDeadlineSeconds?: number;
  /** No new runs while true (active ones go on). */
  suspend?: boolean;
  /** Finished jobs kept (defaults 3 and 1); older ones are deleted with their tasks. */
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  jobTemplate: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: JobSpec };
}

export interface CronJobStatus {
  /** Names of its jobs still running. */
  active?: string[];
  /** The scheduled time of the last run started (RFC 3339). */
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
}

export type CronJob = ApiObject<CronJobSpec, CronJobStatus>;

/** Label every job of a cronjob carries: the cronjob's name. */
export const CRONJOB_LABEL = 'drover.io/cronjob';
/** Annotation of a job made by a cronjob: the scheduled time it runs for ("manual" for run-now). */
export const SCHEDULED_AT_ANNOTATION = 'drover.io/scheduled-at';

export const CRONJOB_DEFAULTS = { concurrencyPolicy: 'Allow', successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 } as const;

/** The name of the job a cronjob runs for `scheduled`: one name per scheduled time, so two leaders can never both start it. */
export function scheduledJobName(cronjob: string, scheduled: Date): string {
  return `${cronjob.slice(0, 240)}-${Math.floor(scheduled.getTime() / 1000)}`;
}

/** The job a cronjob runs for one scheduled time (or "manual": `drover job run-now`). */
export function jobFor(cj: CronJob, name: string, scheduledAt: string): Job {
  const template = cj.spec.jobTemplate;
  return {
    apiVersion: API_VERSION,
    kind: 'Job',
    metadata: {
      name,
      namespace: cj.metadata.namespace ?? DEFAULT_NAMESPACE,
      labels: { ...template.metadata?.labels, [CRONJOB_LABEL]: cj.metadata.name },
      annotations: { ...template.metadata?.annotations, [SCHEDULED_AT_ANNOTATION]: scheduledAt },
      ownerReferences: [{ kind: 'CronJob', name: cj.metadata.name, uid: cj.metadata.uid, controller: true }],
    } as unknown as Job['metadata'],
    spec: template.spec,
    status: {},
  };
}
