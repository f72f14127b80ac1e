import { Type } from '@sinclair/typebox';
import type { FieldError } from '../../errors.js';
import { Condition, Constraints, TaskTemplate } from './common.js';
import { defineKind } from './kind.js';
import { checkTemplate } from './template.js';

const IntOrPercent = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[0-9]+%$' })]);

export const DesiredState = Type.Union([Type.Literal('running'), Type.Literal('loaded'), Type.Literal('inactive')], {
  description: 'running: placed and started; loaded: placed and prepared, not started (fleet "loaded"); inactive: not placed',
});

export const services = defineKind({
  kind: 'Service',
  plural: 'services',
  shortNames: ['service', 'svc'],
  description: 'A long-running workload: the lifecycle manager that keeps replicas (or one task per machine) of a task template running.',
  spec: Type.Object(
    {
      replicas: Type.Optional(Type.Integer({ minimum: 0, description: 'number of tasks (default 1); not with global' })),
      global: Type.Optional(Type.Boolean({ description: 'one task on every eligible machine' })),
      desiredState: Type.Optional(DesiredState),
      strategy: Type.Optional(Type.Union([Type.Literal('spread'), Type.Literal('binpack')])),
      template: TaskTemplate,
      constraints: Type.Optional(Constraints),
      update: Type.Optional(
        Type.Object(
          { maxUnavailable: Type.Optional(IntOrPercent), maxSurge: Type.Optional(IntOrPercent), minReadySeconds: Type.Optional(Type.Integer({ minimum: 0 })) },
          { additionalProperties: false },
        ),
      ),
      paused: Type.Optional(Type.Boolean({ description: 'pause a rolling update' })),
      adopt: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'running one-off tasks to adopt as replicas' })),
    },
    { additionalProperties: false },
  ),
  status: Type.Object(
    {
      observedGeneration: Type.Optional(Type.Integer()),
      desiredReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
      replicas: Type.Optional(Type.Integer({ minimum: 0 })),
      readyReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
      updatedReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
      state: Type.Optional(Type.String()),
      conditions: Type.Optional(Type.Array(Condition)),
    },
    { additionalProperties: false },
  ),
  defaults: (spec) => ({
    desiredState: 'running' as const,
    strategy: 'spread' as const,
    ...(spec.global ? {} : { replicas: 1 }),
    ...spec,
    template: { restartPolicy: 'always' as const, ...spec.template },
  }),
  validate: (svc) => {
    const errs: FieldError[] = [];
    if (svc.spec.global && svc.spec.replicas !== undefined) {
      errs.push({ path: '/spec/replicas', message: 'a global service runs one task per machine: remove replicas or global' });
    }
    errs.push(...checkTemplate(svc.spec.template, '/spec/template'));
    return errs;
  },
  fields: {
    'spec.desiredState': (s) => s.spec.desiredState,
  },
});
