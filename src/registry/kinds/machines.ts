// Machine: schema and strategy. An agent registers it; an operator may pre-register it with labels.
import { Type, type Static } from '@sinclair/typebox';
import type { FieldError } from '../../errors.js';
import type { Machine, MachineSpec as ModelSpec, MachineStatus as ModelStatus } from '../../model/index.js';
import { ByteQuantity, Condition, CpuQuantity, ResourceUsage } from './common.js';
import { defineKind, type Expect, type Same } from './kind.js';

const Capacity = Type.Object(
  { cpu: Type.Optional(CpuQuantity), memory: Type.Optional(ByteQuantity), disk: Type.Optional(ByteQuantity) },
  { additionalProperties: false },
);

const MachineSpec = Type.Object(
  {
    unschedulable: Type.Optional(Type.Boolean({ description: 'cordoned: no new tasks are placed here' })),
    maintenance: Type.Optional(
      Type.Object(
        {
          start: Type.Optional(Type.String({ description: 'RFC 3339 time the window opens (default: now): the machine is drained then' })),
          end: Type.Optional(Type.String({ description: 'RFC 3339 time the window closes (default: never): the machine takes tasks again' })),
          reason: Type.Optional(Type.String({ maxLength: 1024, description: 'why, for people' })),
        },
        { additionalProperties: false, description: 'a maintenance window: drained at its start, unschedulable until its end' },
      ),
    ),
  },
  { additionalProperties: false },
);

const MachineStatus = Type.Object(
  {
    hostname: Type.Optional(Type.String()),
    address: Type.Optional(Type.String({ description: 'primary IP address' })),
    agentVersion: Type.Optional(Type.String()),
    agentEndpoint: Type.Optional(Type.String({ description: 'URL the server uses to reach the agent (logs, exec)' })),
    capacity: Type.Optional(Capacity),
    allocatable: Type.Optional(Capacity),
    lastHeartbeat: Type.Optional(Type.String()),
    conditions: Type.Optional(Type.Array(Condition)),
    faultDomain: Type.Optional(Type.Object({ region: Type.Optional(Type.String()), zone: Type.Optional(Type.String()) }, { additionalProperties: false })),
    usage: Type.Optional(ResourceUsage),
    era: Type.Optional(Type.String({ description: 'random UUID the agent picks at each start: a new one means it restarted' })),
    datasetBackends: Type.Optional(Type.Array(Type.String(), { description: 'dataset backends the machine offers (directory, loopback)' })),
  },
  { additionalProperties: false },
);

type _spec = Expect<Same<Static<typeof MachineSpec>, ModelSpec>>;
type _status = Expect<Same<Static<typeof MachineStatus>, ModelStatus>>;

export const machines = defineKind({
  kind: 'Machine',
  plural: 'machines',
  shortNames: ['machine', 'mach', 'node', 'nodes'],
  description: 'A host that runs tasks. Its name is its 32-hex machine ID; an agent registers it, an operator may pre-register it with labels.',
  specOptional: true,
  spec: MachineSpec,
  status: MachineStatus,
  validate: (m) => checkMaintenance(m as Machine),
  fields: {
    'status.ready': (m) => m.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown',
    'spec.unschedulable': (m) => String(m.spec?.unschedulable ?? false),
  },
});

/** The window's times must parse, and it must end after it starts. */
function checkMaintenance(m: Machine): FieldError[] {
  const w = m.spec?.maintenance;
  if (!w) return [];
  const errors: FieldError[] = [];
  for (const field of ['start', 'end'] as const) {
    const v = w[field];
    if (v !== undefined && (!/^\d{4}-\d\d-\d\dT/.test(v) || Number.isNaN(Date.parse(v)))) errors.push({ path: `/spec/maintenance/${field}`, message: `must be an RFC 3339 time like 2026-01-02T03:04:05Z, got "${v}"` });
  }
  if (errors.length === 0 && w.start && w.end && Date.parse(w.end) <= Date.parse(w.start)) errors.push({ path: '/spec/maintenance/end', message: `must be after start (${w.start}), got "${w.end}"` });
  return errors;
}
