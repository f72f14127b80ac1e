import { Type } from '@sinclair/typebox';
import { Condition } from './common.js';
import { defineKind } from './kind.js';

export const OperationPhase = Type.Union(['Pending', 'Running', 'Succeeded', 'Failed'].map((p) => Type.Literal(p)));
const terminal = new Set(['Succeeded', 'Failed']);

export const operations = defineKind({
  kind: 'Operation',
  plural: 'operations',
  shortNames: ['operation', 'op', 'ops'],
  description: 'Asynchronous work (compaction, drain, deploy, upgrade): created with 202 Accepted, polled or waited on with ?wait=.',
  generatedNamePrefix: 'op-',
  verbs: ['get', 'list', 'watch', 'create', 'delete'],
  async: { isDone: (op) => terminal.has(op.status?.phase) },
  spec: Type.Object(
    {
      type: Type.Union([Type.Literal('Compact'), Type.Literal('Drain')], {
        description:
          'Compact: discard store history up to params.revision (default: all but the last 1,000 revisions). Drain: cordon target Machine and move the tasks services own there elsewhere (params.force: one-off tasks too; params.timeoutSeconds, default 120)',
      }),
      target: Type.Optional(Type.Object({ kind: Type.String(), name: Type.String() }, { additionalProperties: false })),
      params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    },
    { additionalProperties: false },
  ),
  status: Type.Object(
    {
      phase: Type.Optional(OperationPhase),
      progress: Type.Optional(
        Type.Object(
          { completed: Type.Integer({ minimum: 0 }), total: Type.Integer({ minimum: 0 }), message: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
      ),
      conditions: Type.Optional(Type.Array(Condition)),
      result: Type.Optional(Type.Unknown()),
      error: Type.Optional(Type.String()),
      startedAt: Type.Optional(Type.String()),
      finishedAt: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
  fields: {
    'spec.type': (o) => o.spec.type,
    'status.phase': (o) => o.status?.phase ?? 'Pending',
  },
});
