import { Type } from '@sinclair/typebox';
import { Condition, TaskTemplate } from './common.js';
import { defineKind } from './kind.js';
import { checkTemplate } from './template.js';

/** Set on every bound task: its deletion waits until the agent has stopped it. */
export const AGENT_FINALIZER = 'drover.io/agent';

/** Phases the server never leaves once reached: a returning agent cannot revive a replaced task. */
export const TERMINAL_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'Lost']);

export const TaskPhase = Type.Union(
  ['Pending', 'Scheduled', 'Starting', 'Running', 'Stopping', 'Stopped', 'Succeeded', 'Failed', 'Lost'].map((p) => Type.Literal(p)),
);

export const tasks = defineKind({
  kind: 'Task',
  plural: 'tasks',
  shortNames: ['task', 'process', 'processes', 'ps'],
  description: 'One instance of a template on one machine. A task with no owner is a one-off process (POST just a command).',
  generatedNamePrefix: 'task-',
  spec: Type.Object(
    {
      machine: Type.Optional(Type.String({ minLength: 1, description: 'the machine it runs on; set by the scheduler' })),
      template: TaskTemplate,
      desiredState: Type.Optional(
        Type.Union([Type.Literal('running'), Type.Literal('loaded'), Type.Literal('stopped')], {
          description: 'running (default), loaded (prepared, not started), stopped',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  status: Type.Object(
    {
      phase: Type.Optional(TaskPhase),
      message: Type.Optional(Type.String()),
      reason: Type.Optional(Type.String()),
      pid: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
      exitCode: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
      signal: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      restarts: Type.Optional(Type.Integer({ minimum: 0 })),
      startedAt: Type.Optional(Type.String()),
      finishedAt: Type.Optional(Type.String()),
      observedGeneration: Type.Optional(Type.Integer()),
      conditions: Type.Optional(Type.Array(Condition)),
      unitState: Type.Optional(
        Type.Object(
          { load: Type.String(), active: Type.String(), sub: Type.String(), hash: Type.Optional(Type.String()) },
          { additionalProperties: false, description: 'systemd-style states as fleet reports them' },
        ),
      ),
    },
    { additionalProperties: false },
  ),
  defaults: (spec) => ({ desiredState: 'running' as const, ...spec, template: { restartPolicy: 'never' as const, ...spec.template } }),
  validate: (task) => checkTemplate(task.spec.template, '/spec/template'),
  statusTransition: (cur, next) => {
    const from = cur?.phase;
    if (from && TERMINAL_PHASES.has(from) && next?.phase !== from) {
      return `its phase ${from} is final and cannot become ${next?.phase ?? 'unset'}; create a new task instead`;
    }
    return undefined;
  },
  fields: {
    'spec.machine': (t) => t.spec.machine ?? '',
    'status.phase': (t) => t.status?.phase ?? 'Pending',
    'metadata.owner': (t) => t.metadata.ownerReferences?.find((r) => r.controller)?.name ?? '',
  },
  indexes: ['spec.machine', 'metadata.owner'],
});
