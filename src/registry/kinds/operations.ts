// Operation: schema and strategy. Each operation type declares the schema of its parameters and
// target here, so a bad parameter is refused with 422 when the operation is created, not found
// later by its handler as a Failed operation.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { FieldError } from '../../errors.js';
import {
  OPERATION_PHASES,
  OPERATION_STEP_PHASES,
  OS_PROFILES,
  type ClusterOperationParams,
  OPERATION_TYPES,
  TERMINAL_OPERATION_PHASES,
  type CompactParams,
  type DrainParams,
  type ReplicanteDeprovisionParams,
  type ReplicanteProvisionParams,
  type OperationSpec as ModelSpec,
  type OperationStatus as ModelStatus,
} from '../../model/index.js';
import { Condition } from './common.js';
import { fieldErrors } from './field-errors.js';
import { defineKind, type Expect, type Same } from './kind.js';

export const OperationPhase = Type.Union(OPERATION_PHASES.map((p) => Type.Literal(p)));

const CompactParamsSchema = Type.Object(
  { revision: Type.Optional(Type.Integer({ minimum: 1, description: 'discard history up to this revision (default: all but the last 1,000)' })) },
  { additionalProperties: false },
);
const DrainParamsSchema = Type.Object(
  {
    force: Type.Optional(Type.Boolean({ description: 'evict one-off tasks too (nothing replaces them)' })),
    timeoutSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'how long to wait for the tasks to stop (default 120)' })),
  },
  { additionalProperties: false },
);
const ClusterOperationParamsSchema = Type.Object(
  {
    version: Type.Optional(Type.String({ minLength: 1, description: 'ClusterDeploy only, and required there: the version to deploy' })),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, description: 'hosts worked on at once (default 1)' })),
    profile: Type.Optional(Type.Union(OS_PROFILES.map((p) => Type.Literal(p)), { description: 'the commands run on each host (default rpm-ostree)' })),
    commands: Type.Optional(
      Type.Array(Type.Array(Type.String(), { minItems: 1 }), { minItems: 1, description: 'commands run on each host instead of the profile\'s, each an argument array; "{version}" stands for params.version' }),
    ),
    hostTimeoutSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'how long one host may take, its restart included (default 600)' })),
    resume: Type.Optional(Type.String({ minLength: 1, description: 'a Failed operation of the same type on the same cluster: the hosts it finished are skipped' })),
  },
  { additionalProperties: false },
);
const ReplicanteProvisionParamsSchema = Type.Object(
  {
    clusterId: Type.String({ minLength: 1, description: 'the Replicante cluster the nodes join' }),
    package: Type.String({ minLength: 1, description: 'the Package object (NAME-VERSION) each node installs' }),
    nodeGroup: Type.String({ minLength: 1, description: "the node group of the cluster's declaration" }),
    nodeClass: Type.String({ description: 'the class of node (local provider: its resources)' }),
    nodeIds: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'one id per node to provision' }),
    attributes: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'cluster attributes overridden key by key by the group\'s' })),
  },
  { additionalProperties: false },
);
const ReplicanteDeprovisionParamsSchema = Type.Object(
  { clusterId: Type.String({ minLength: 1 }), nodeId: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);
type _rprovision = Expect<Same<Static<typeof ReplicanteProvisionParamsSchema>, ReplicanteProvisionParams>>;
type _rdeprovision = Expect<Same<Static<typeof ReplicanteDeprovisionParamsSchema>, ReplicanteDeprovisionParams>>;
type _compact = Expect<Same<Static<typeof CompactParamsSchema>, CompactParams>>;
type _cluster = Expect<Same<Static<typeof ClusterOperationParamsSchema>, ClusterOperationParams>>;
type _drain = Expect<Same<Static<typeof DrainParamsSchema>, DrainParams>>;

interface OperationType {
  params: TypeCheck<TSchema>;
  /** The kind of object the operation acts on, when it needs one. */
  targetKind?: string;
}

const clusterParams = TypeCompiler.Compile(ClusterOperationParamsSchema);

/** Every operation type: its parameters and what it acts on. */
const operationTypes: Record<ModelSpec['type'], OperationType> = {
  Compact: { params: TypeCompiler.Compile(CompactParamsSchema) },
  Drain: { params: TypeCompiler.Compile(DrainParamsSchema), targetKind: 'Machine' },
  ClusterDeploy: { params: clusterParams, targetKind: 'Cluster' },
  ClusterUpgrade: { params: clusterParams, targetKind: 'Cluster' },
  ClusterRestart: { params: clusterParams, targetKind: 'Cluster' },
  ReplicanteProvision: { params: TypeCompiler.Compile(ReplicanteProvisionParamsSchema) },
  ReplicanteDeprovision: { params: TypeCompiler.Compile(ReplicanteDeprovisionParamsSchema) },
};

const OperationSpec = Type.Object(
  {
    type: Type.Union(
      OPERATION_TYPES.map((t) => Type.Literal(t)),
      {
        description:
          'Compact: discard store history up to params.revision (default: all but the last 1,000 revisions). Drain: cordon target Machine and move the tasks services own there elsewhere (params.force: one-off tasks too; params.timeoutSeconds, default 120). ClusterDeploy (params.version), ClusterUpgrade, ClusterRestart: run the OS profile\'s commands over SSH on each host of target Cluster in turn (params.batchSize, profile, commands, hostTimeoutSeconds, resume). ReplicanteProvision (params.clusterId, package, nodeGroup, nodeClass, nodeIds, attributes): a machine from the provider per node, running the package. ReplicanteDeprovision (params.clusterId, nodeId): remove one node, its processes and (local provider) its machine',
      },
    ),
    target: Type.Optional(Type.Object({ kind: Type.String(), name: Type.String() }, { additionalProperties: false })),
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

const OperationStatus = Type.Object(
  {
    phase: Type.Optional(OperationPhase),
    progress: Type.Optional(
      Type.Object(
        { completed: Type.Integer({ minimum: 0 }), total: Type.Integer({ minimum: 0 }), message: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
    ),
    steps: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String(),
            address: Type.Optional(Type.String()),
            phase: Type.Union(OPERATION_STEP_PHASES.map((p) => Type.Literal(p))),
            startedAt: Type.Optional(Type.String()),
            finishedAt: Type.Optional(Type.String()),
            message: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    conditions: Type.Optional(Type.Array(Condition)),
    result: Type.Optional(Type.Unknown()),
    error: Type.Optional(Type.String()),
    startedAt: Type.Optional(Type.String()),
    finishedAt: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

type _spec = Expect<Same<Static<typeof OperationSpec>, ModelSpec>>;
type _status = Expect<Same<Static<typeof OperationStatus>, ModelStatus>>;

export const operations = defineKind({
  kind: 'Operation',
  plural: 'operations',
  shortNames: ['operation', 'op', 'ops'],
  description: 'Asynchronous work (compaction, drain, cluster deploy, upgrade and restart): created with 202 Accepted, polled or waited on with ?wait=.',
  generatedNamePrefix: 'op-',
  verbs: ['get', 'list', 'watch', 'create', 'delete'],
  async: { isDone: (op) => TERMINAL_OPERATION_PHASES.has(op.status?.phase) },
  spec: OperationSpec,
  status: OperationStatus,
  validate: (op) => {
    const type = operationTypes[op.spec.type];
    const errs: FieldError[] = [];
    const params = op.spec.params ?? {};
    if (!type.params.Check(params)) errs.push(...fieldErrors(type.params.Errors(params), '/spec/params'));
    const target = op.spec.target;
    if (type.targetKind && target?.kind !== type.targetKind) {
      errs.push({ path: '/spec/target', message: `a ${op.spec.type} needs a target {kind: ${type.targetKind}, name: <name>}` });
    } else if (type.targetKind && !target?.name) {
      errs.push({ path: '/spec/target/name', message: `name the ${type.targetKind} to ${op.spec.type.toLowerCase()}` });
    } else if (!type.targetKind && target) {
      errs.push({ path: '/spec/target', message: `a ${op.spec.type} acts on no object: remove target` });
    }
    const version = (params as ClusterOperationParams).version;
    if (op.spec.type === 'ClusterDeploy' && version === undefined) errs.push({ path: '/spec/params/version', message: 'a ClusterDeploy needs the version to deploy' });
    if ((op.spec.type === 'ClusterUpgrade' || op.spec.type === 'ClusterRestart') && version !== undefined) {
      errs.push({ path: '/spec/params/version', message: `a ${op.spec.type} takes no version (a ClusterDeploy does)` });
    }
    return errs;
  },
  fields: {
    'spec.type': (o) => o.spec.type,
    'spec.target.name': (o) => o.spec.target?.name,
    'status.phase': (o) => o.status?.phase ?? 'Pending',
  },
});
