// Installation: schema and strategy. A package installed in a namespace with its values; what
// the values must satisfy is checked against the package by its controller (a package can
// change or go after the installation is written), which says so in status.
import { Type, type Static } from '@sinclair/typebox';
import { INSTALLATION_PHASES, type InstallationSpec as ModelSpec, type InstallationStatus as ModelStatus } from '../../model/index.js';
import { Condition, Constraints } from './common.js';
import { defineKind, type Expect, type Same } from './kind.js';

const InstallationSpec = Type.Object(
  {
    package: Type.String({ minLength: 1, description: 'the package name ("redis")' }),
    version: Type.Optional(Type.String({ minLength: 1, description: 'its version (default: the newest when installed)' })),
    values: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'parameter values' })),
    replicas: Type.Optional(Type.Integer({ minimum: 0, description: 'replicas of the Service (default 1)' })),
    constraints: Type.Optional(Constraints),
    labels: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'labels put on the Service and its tasks' })),
  },
  { additionalProperties: false },
);
const InstallationStatus = Type.Object(
  {
    phase: Type.Optional(Type.Union(INSTALLATION_PHASES.map((p) => Type.Literal(p)))),
    version: Type.Optional(Type.String()),
    service: Type.Optional(Type.String()),
    observedGeneration: Type.Optional(Type.Integer()),
    message: Type.Optional(Type.String()),
    conditions: Type.Optional(Type.Array(Condition)),
  },
  { additionalProperties: false },
);

type _spec = Expect<Same<Static<typeof InstallationSpec>, ModelSpec>>;
type _status = Expect<Same<Static<typeof InstallationStatus>, ModelStatus>>;

export const installations = defineKind({
  kind: 'Installation',
  plural: 'installations',
  namespaced: true,
  shortNames: ['installation', 'inst'],
  description: 'A Package installed in a namespace with its values: rendered into a Service it owns; change version or values to upgrade, delete to uninstall.',
  spec: InstallationSpec,
  status: InstallationStatus,
  fields: { 'spec.package': (i) => i.spec.package, 'status.phase': (i) => i.status?.phase },
});
