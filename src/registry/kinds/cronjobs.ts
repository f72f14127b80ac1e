// CronJob: schema and strategy. The schedule and time zone are checked here with the parser the
// controller uses, so a schedule in the store is one the controller can read.
import { Type, type Static } from '@sinclair/typebox';
import type { FieldError } from '../../errors.js';
import { scheduleProblem } from '../../model/cron-schedule.js';
import { CRONJOB_DEFAULTS, type CronJobSpec as ModelSpec, type CronJobStatus as ModelStatus } from '../../model/index.js';
import { defineKind, type Expect, type Same } from './kind.js';
import { checkJobSpec, jobDefaults, JobSpec } from './jobs.js';

const Labels = Type.Record(Type.String(), Type.String());

const CronJobSpec = Type.Object(
  {
    schedule: Type.String({ minLength: 1, maxLength: 256, description: '5 cron fields (minute first), 6 with seconds first ("*/2 * * * * *"), or @hourly, @daily, @weekly, @monthly, @yearly' }),
    timeZone: Type.Optional(Type.String({ minLength: 1, description: 'IANA time zone the schedule is read in (default UTC)' })),
    concurrencyPolicy: Type.Optional(
      Type.Union([Type.Literal('Allow'), Type.Literal('Forbid'), Type.Literal('Replace')], { description: 'Allow (default): runs may overlap; Forbid: no new run while one is active; Replace: kill the active run, start the new' }),
    ),
    startingDeadlineSeconds: Type.Optional(Type.Integer({ minimum: 0, description: 'a run not started this long after its time is missed, not caught up' })),
    suspend: Type.Optional(Type.Boolean({ description: 'no new runs while true' })),
    successfulJobsHistoryLimit: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description: 'successful jobs kept (default 3)' })),
    failedJobsHistoryLimit: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description: 'failed jobs kept (default 1)' })),
    jobTemplate: Type.Object(
      {
        metadata: Type.Optional(Type.Object({ labels: Type.Optional(Labels), annotations: Type.Optional(Labels) }, { additionalProperties: false })),
        spec: JobSpec,
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const CronJobStatus = Type.Object(
  {
    active: Type.Optional(Type.Array(Type.String(), { description: 'its jobs still running' })),
    lastScheduleTime: Type.Optional(Type.String({ description: 'the scheduled time of the last run started' })),
    lastSuccessfulTime: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

type _spec = Expect<Same<Static<typeof CronJobSpec>, ModelSpec>>;
type _status = Expect<Same<Static<typeof CronJobStatus>, ModelStatus>>;

export const cronJobs = defineKind({
  kind: 'CronJob',
  plural: 'cronjobs',
  namespaced: true,
  shortNames: ['cronjob', 'cj'],
  description: 'A Job made on a cron schedule, with a concurrency policy, a starting deadline for late runs and a history of finished jobs.',
  spec: CronJobSpec,
  status: CronJobStatus,
  defaults: (spec) => ({ ...CRONJOB_DEFAULTS, ...spec, jobTemplate: { ...spec.jobTemplate, spec: jobDefaults(spec.jobTemplate.spec) } }),
  validate: (cj) => {
    const errs: FieldError[] = [];
    const problem = scheduleProblem(cj.spec.schedule, cj.spec.timeZone);
    if (problem) errs.push({ path: problem.includes('time zone') ? '/spec/timeZone' : '/spec/schedule', message: problem });
    errs.push(...checkJobSpec(cj.spec.jobTemplate.spec, '/spec/jobTemplate/spec'));
    return errs;
  },
  template: (cj) => cj.spec.jobTemplate.spec.template,
});
