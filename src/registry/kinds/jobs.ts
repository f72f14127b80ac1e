// Job: schema and strategy. A job's tasks run to completion, so its template never restarts
// always (Kubernetes refuses restartPolicy Always in a Job too); what it runs is fixed once made.
import { Type, type Static } from '@sinclair/typebox';
import type { FieldError } from '../../errors.js';
import { JOB_DEFAULTS, sameJson, withUnitCredentials, type JobSpec as ModelSpec, type JobStatus as ModelStatus } from '../../model/index.js';
import { Condition, Constraints, TaskTemplate } from './common.js';
import { defineKind, type Expect, type Same } from './kind.js';
import { checkTemplate } from './template.js';

export const JobSpec = Type.Object(
  {
    template: TaskTemplate,
    completions: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'successful tasks needed (default 1)' })),
    parallelism: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000, description: 'tasks running at once (default 1; 0 pauses the job)' })),
    backoffLimit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000, description: 'failed runs tolerated before the job fails (default 6)' })),
    activeDeadlineSeconds: Type.Optional(Type.Integer({ minimum: 1, description: 'the job fails, its running tasks killed, this long after it started' })),
    constraints: Type.Optional(Constraints),
  },
  { additionalProperties: false },
);

const JobStatus = Type.Object(
  {
    active: Type.Optional(Type.Integer({ minimum: 0 })),
    succeeded: Type.Optional(Type.Integer({ minimum: 0 })),
    failed: Type.Optional(Type.Integer({ minimum: 0 })),
    startTime: Type.Optional(Type.String()),
    completionTime: Type.Optional(Type.String()),
    conditions: Type.Optional(Type.Array(Condition)),
  },
  { additionalProperties: false },
);

type _spec = Expect<Same<Static<typeof JobSpec>, ModelSpec>>;
type _status = Expect<Same<Static<typeof JobStatus>, ModelStatus>>;

/** A job spec with its defaults: one completion, one at a time, six retries, and tasks that do not restart. */
export function jobDefaults(spec: ModelSpec): ModelSpec {
  return { ...JOB_DEFAULTS, ...spec, template: withUnitCredentials({ restartPolicy: 'never' as const, ...spec.template }) };
}

/** What the job schema cannot say: something to run that ends. */
export function checkJobSpec(spec: ModelSpec, path: string): FieldError[] {
  const errs = checkTemplate(spec.template, `${path}/template`);
  if (spec.template.restartPolicy === 'always') errs.push({ path: `${path}/template/restartPolicy`, message: 'a job runs to completion: use never (a failed run is retried as a new task) or on-failure (restarted in place)' });
  return errs;
}

export const jobs = defineKind({
  kind: 'Job',
  plural: 'jobs',
  namespaced: true,
  shortNames: ['job'],
  description: 'A task template run to completion: tasks are started until `completions` succeeded, `parallelism` at a time, retried up to `backoffLimit` failures.',
  spec: JobSpec,
  status: JobStatus,
  defaults: jobDefaults,
  validate: (job) => checkJobSpec(job.spec, '/spec'),
  validateUpdate: (next, current) =>
    sameJson(next.spec.template, current.spec.template) && next.spec.completions === current.spec.completions
      ? []
      : [{ path: '/spec', message: "a job's template and completions cannot change once it is made: delete it and create another" }],
  template: (job) => job.spec.template,
});
