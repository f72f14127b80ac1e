// Schemas shared by several kinds: object metadata, conditions, quantities and the task
// template. Typebox schemas are JSON Schema: the same objects validate requests and
// generate /openapi.json.
import { Type, type Static } from '@sinclair/typebox';
import type * as model from '../../model/index.js';
import { API_VERSION } from '../../model/index.js';
import type { Expect, Same } from './kind.js';

export { API_VERSION };

/** cpu as cores (1, 0.5) or millicores ("100m"). */
export const CpuQuantity = Type.Union([Type.Number({ minimum: 0 }), Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?m?$' })], {
  description: 'cores (0.5) or millicores ("500m")',
});
/** Bytes, or a string with a binary or decimal suffix ("64Mi", "1G"). */
export const ByteQuantity = Type.Union(
  [Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|K|M|G|T|P)?$' })],
  { description: 'bytes (67108864) or with a suffix ("64Mi", "1G")' },
);

export const Resources = Type.Object(
  {
    cpu: Type.Optional(CpuQuantity),
    memory: Type.Optional(
      Type.Union(ByteQuantity.anyOf, {
        description: 'reserved on the machine, and a limit: a task whose processes use more is killed (reason OOMKilled) and restarted per its policy',
      }),
    ),
    disk: Type.Optional(ByteQuantity),
  },
  { additionalProperties: false },
);

/** What a task or a machine uses, as its agent measures it. */
export const ResourceUsage = Type.Object(
  {
    cpuMilli: Type.Integer({ minimum: 0, description: 'CPU over the last sampling window, in thousandths of a core' }),
    memoryBytes: Type.Integer({ minimum: 0, description: 'resident memory, bytes' }),
    sampledAt: Type.String({ description: 'when it was measured; rewritten only when the figures change meaningfully' }),
  },
  { additionalProperties: false },
);
type _usage = Expect<Same<Static<typeof ResourceUsage>, model.ResourceUsage>>;

export const OwnerReference = Type.Object(
  {
    kind: Type.String({ minLength: 1 }),
    name: Type.String({ minLength: 1 }),
    uid: Type.String({ minLength: 1 }),
    controller: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
type _ownerRef = Expect<Same<Static<typeof OwnerReference>, model.OwnerRef>>;

export const ObjectMeta = Type.Object(
  {
    name: Type.Optional(Type.String({ description: '1–256 characters of A-Z a-z 0-9 - _ . : @ \\' })),
    namespace: Type.Optional(Type.String({ description: 'the namespace of a namespaced kind (default "default"); the URL\'s when it names one' })),
    generateName: Type.Optional(Type.String({ maxLength: 200, description: 'prefix for a generated name' })),
    uid: Type.Optional(Type.String({ description: 'read-only' })),
    revision: Type.Optional(Type.Integer({ description: 'read-only: store revision of the last change' })),
    generation: Type.Optional(Type.Integer({ description: 'read-only: bumped on every spec change' })),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
    createdAt: Type.Optional(Type.String({ description: 'read-only' })),
    updatedAt: Type.Optional(Type.String({ description: 'read-only' })),
    deletionTimestamp: Type.Optional(Type.String({ description: 'read-only: set while finalizers hold a deletion' })),
    ownerReferences: Type.Optional(Type.Array(OwnerReference)),
    finalizers: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  },
  { additionalProperties: false },
);

export const Condition = Type.Object(
  {
    type: Type.String({ minLength: 1 }),
    status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]),
    reason: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    lastTransitionTime: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
type _condition = Expect<Same<Static<typeof Condition>, model.Condition>>;

export const RestartPolicy = Type.Union([Type.Literal('always'), Type.Literal('on-failure'), Type.Literal('never')]);

/** A health check the agent runs (see model HealthCheck). */
export const HealthCheck = Type.Object(
  {
    name: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]([A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$' })),
    type: Type.Union([Type.Literal('http'), Type.Literal('tcp'), Type.Literal('exec')]),
    role: Type.Optional(Type.Union([Type.Literal('readiness'), Type.Literal('liveness')], { description: 'readiness (default) or liveness (restarts the task)' })),
    port: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 1, maximum: 65535 })], { description: 'http/tcp: a port name of template.ports or a number; default the first port' })),
    path: Type.Optional(Type.String({ pattern: '^/', description: 'http: the path (default "/")' })),
    expectStatus: Type.Optional(Type.String({ pattern: '^[1-5][0-9][0-9](-[1-5][0-9][0-9])?$', description: 'http: expected status range, "200-399" (default) or one code' })),
    command: Type.Optional(Type.Array(Type.String(), { minItems: 1, description: 'exec: healthy when it exits 0' })),
    intervalSeconds: Type.Optional(Type.Number({ minimum: 0.1, maximum: 86400, description: 'default 10' })),
    timeoutSeconds: Type.Optional(Type.Number({ minimum: 0.1, maximum: 3600, description: 'default 2' })),
    initialDelaySeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86400, description: 'default 0' })),
    successThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'default 1' })),
    failureThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'default 3' })),
  },
  { additionalProperties: false },
);
type _check = Expect<Same<Static<typeof HealthCheck>, model.HealthCheck>>;

/** One systemd unit option, as fleet carries them: section, name, value. */
export const UnitOption = Type.Object(
  { section: Type.String({ minLength: 1 }), name: Type.String({ minLength: 1 }), value: Type.String() },
  { additionalProperties: false },
);
type _unitOption = Expect<Same<Static<typeof UnitOption>, model.UnitOption>>;

export const TaskTemplate = Type.Object(
  {
    driver: Type.Optional(
      Type.Union([Type.Literal('exec'), Type.Literal('unit'), Type.Literal('container')], { description: 'default: container when an image is given, unit when unit options are, else exec' }),
    ),
    image: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'container image, run through podman or docker (the machine needs a working engine)' })),
    command: Type.Optional(Type.Array(Type.String(), { minItems: 1, description: 'program and its arguments' })),
    args: Type.Optional(Type.Array(Type.String(), { description: 'appended to command' })),
    env: Type.Optional(
      Type.Union(
        [
          Type.Record(Type.String(), Type.String()),
          Type.Array(
            Type.Object(
              {
                name: Type.String({ minLength: 1 }),
                value: Type.Optional(Type.String()),
                secretKeyRef: Type.Optional(
                  Type.Object({ secret: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
                ),
              },
              { additionalProperties: false },
            ),
          ),
        ],
        { description: 'a map of values, or a list of {name, value} or {name, secretKeyRef: {secret, key}}' },
      ),
    ),
    secrets: Type.Optional(
      Type.Array(
        Type.Object(
          {
            secret: Type.String({ minLength: 1 }),
            path: Type.Optional(Type.String({ minLength: 1, description: 'directory under $DROVER_SECRETS_DIR (default: the secret\'s name)' })),
          },
          { additionalProperties: false },
        ),
        { description: "secrets whose keys the task gets as files (mode 0600) in $DROVER_SECRETS_DIR/<path>/<key>, removed with the task" },
      ),
    ),
    workingDir: Type.Optional(Type.String()),
    resources: Type.Optional(Resources),
    restartPolicy: Type.Optional(RestartPolicy),
    stopGraceSeconds: Type.Optional(Type.Number({ minimum: 0, description: 'SIGTERM → SIGKILL delay (default 10)' })),
    unit: Type.Optional(Type.Array(UnitOption, { description: 'systemd unit options (fleet units)' })),
    volumes: Type.Optional(
      Type.Array(
        Type.Object(
          { dataset: Type.String({ minLength: 1 }), path: Type.String({ minLength: 1 }), readOnly: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
      ),
    ),
    user: Type.Optional(Type.String({ minLength: 1, description: 'user (name or uid) the processes run as; none: root, which needs the tasks/root permission' })),
    group: Type.Optional(Type.String({ minLength: 1, description: "group (name or gid); none: the user's primary group" })),
    requires: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'executables that must be in PATH on the machine; missing: the task fails with reason MissingBinary (not restarted)' })),
    requiresFrom: Type.Optional(Type.String({ description: 'where those executables come from, for the message (e.g. "apt-get install redis-server")' })),
    ports: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$', description: 'letters, digits and "-" (PORT_<NAME> in the environment); default "port<index>"' })),
            port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'a fixed port on the machine; none: a dynamic one from the server\'s range' })),
            protocol: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('udp')])),
          },
          { additionalProperties: false },
        ),
        { maxItems: 32, description: 'ports the task listens on: fixed, or allocated per machine (PORT_<NAME> and PORT in its environment)' },
      ),
    ),
    annotations: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 253 }), Type.String({ maxLength: 4096 }), {
        maxProperties: 64,
        description: 'notes for tools (drover.io/restartedAt: set by drover rollout restart); a change rolls the tasks over like any template change',
      }),
    ),
    checks: Type.Optional(Type.Array(HealthCheck, { maxItems: 16, description: 'health checks the agent runs: readiness (Ready condition, endpoints, rollouts) and liveness (restart)' })),
  },
  { additionalProperties: false },
);
type _template = Expect<Same<Static<typeof TaskTemplate>, model.TaskTemplate>>;

/** Placement constraints; fleet's [X-Fleet] options map onto these one to one. */
export const Constraints = Type.Object(
  {
    machineSelector: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })]), {
        description: 'label match: AND across keys, OR within a list of values (fleet MachineMetadata)',
      }),
    ),
    conflicts: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'globs of service names not to share a machine with' })),
    machineOf: Type.Optional(
      Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
        description: 'run on the machine of a task of this service (of each of these services)',
      }),
    ),
    replaces: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: "globs of service names whose tasks this one pushes off its machine (fleet's Replaces=)" })),
    machine: Type.Optional(Type.String({ minLength: 1, description: 'pinned machine name (machine ID)' })),
  },
  { additionalProperties: false },
);
type _constraints = Expect<Same<Static<typeof Constraints>, model.Constraints>>;
