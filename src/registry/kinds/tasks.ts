// Task: schema and strategy. A finished task stays finished: a returning agent (or a client)
// cannot revive a task that was replaced.
import { Type, type Static } from '@sinclair/typebox';
import { sameJson, TASK_PHASES, TERMINAL_PHASES, taskAsk, withUnitCredentials, type TaskSpec as ModelSpec, type TaskStatus as ModelStatus } from '../../model/index.js';
import { Condition, ResourceUsage, TaskTemplate } from './common.js';
import { defineKind, type Expect, type Same } from './kind.js';
import { checkTemplate } from './template.js';

export const TaskPhase = Type.Union(TASK_PHASES.map((p) => Type.Literal(p)));

const TaskSpec = Type.Object(
  {
    machine: Type.Optional(Type.String({ minLength: 1, description: 'the machine it runs on; set by the scheduler' })),
    template: TaskTemplate,
    desiredState: Type.Optional(
      Type.Union([Type.Literal('running'), Type.Literal('loaded'), Type.Literal('stopped')], {
        description: 'running (default), loaded (prepared, not started), stopped',
      }),
    ),
    ports: Type.Optional(
      Type.Array(
        Type.Object(
          { name: Type.String({ minLength: 1 }), port: Type.Integer({ minimum: 1, maximum: 65535 }), protocol: Type.Union([Type.Literal('tcp'), Type.Literal('udp')]) },
          { additionalProperties: false },
        ),
        { maxItems: 32, description: 'host ports allocated on spec.machine, one per template port; set by the scheduler' },
      ),
    ),
  },
  { additionalProperties: false },
);

const TaskStatus = Type.Object(
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
    usage: Type.Optional(ResourceUsage),
    lastTermination: Type.Optional(
      Type.Object(
        {
          reason: Type.String({ description: 'Completed, Error, OOMKilled' }),
          message: Type.Optional(Type.String()),
          exitCode: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
          signal: Type.Optional(Type.Union([Type.String(), Type.Null()])),
          finishedAt: Type.String(),
        },
        { additionalProperties: false, description: 'how the previous run ended, kept while a restarted run goes on' },
      ),
    ),
    ports: Type.Optional(
      Type.Array(
        Type.Object(
          { name: Type.String(), port: Type.Integer(), protocol: Type.Union([Type.Literal('tcp'), Type.Literal('udp')]), address: Type.String({ description: '"host:port"' }) },
          { additionalProperties: false },
        ),
      ),
    ),
    checks: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String(),
            role: Type.Union([Type.Literal('readiness'), Type.Literal('liveness')]),
            status: Type.Union([Type.Literal('passing'), Type.Literal('failing'), Type.Literal('unknown')]),
            output: Type.Optional(Type.String()),
            consecutiveFailures: Type.Optional(Type.Integer({ minimum: 0 })),
            consecutiveSuccesses: Type.Optional(Type.Integer({ minimum: 0 })),
            lastCheckedAt: Type.Optional(Type.String()),
            lastTransitionTime: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

type _spec = Expect<Same<Static<typeof TaskSpec>, ModelSpec>>;
type _status = Expect<Same<Static<typeof TaskStatus>, ModelStatus>>;

export const tasks = defineKind({
  kind: 'Task',
  plural: 'tasks',
  namespaced: true,
  shortNames: ['task', 'process', 'processes', 'ps'],
  description: 'One instance of a template on one machine. A task with no owner is a one-off process (POST just a command).',
  generatedNamePrefix: 'task-',
  spec: TaskSpec,
  status: TaskStatus,
  defaults: (spec) => ({ desiredState: 'running' as const, ...spec, template: withUnitCredentials({ restartPolicy: 'never' as const, ...spec.template }) }),
  validate: (task) => checkTemplate(task.spec.template, '/spec/template'),
  template: (task) => task.spec.template,
  quotaAsk: (task) => taskAsk(task),
  // Ports are part of the binding: allocating them by hand is binding past the scheduler.
  privileges: (next, current) =>
    (next.spec.machine !== undefined && next.spec.machine !== current?.spec.machine) || (next.spec.ports !== undefined && !sameJson(next.spec.ports, current?.spec.ports)) ? ['bind'] : [],
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
