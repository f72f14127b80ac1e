// ContainerManager: schema and strategy. Configuration a cluster points at; one a cluster uses
// cannot be deleted from under it.
import { Type, type Static } from '@sinclair/typebox';
import { CONTAINER_MANAGER_TYPES, type ContainerManagerSpec as ModelSpec } from '../../model/index.js';
import { inUseByClusters } from './clusters.js';
import { defineKind, type Expect, type Same } from './kind.js';

const ContainerManagerSpec = Type.Object(
  {
    type: Type.Optional(Type.Union(CONTAINER_MANAGER_TYPES.map((t) => Type.Literal(t)), { description: 'openshift (default) or trivial' })),
    options: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'options of the type (openshift: {server_url, …})' })),
  },
  { additionalProperties: false },
);
const ContainerManagerStatus = Type.Object({}, { additionalProperties: false });

type _spec = Expect<Same<Static<typeof ContainerManagerSpec>, ModelSpec>>;

export const containerManagers = defineKind({
  kind: 'ContainerManager',
  plural: 'containermanagers',
  shortNames: ['containermanager', 'cm'],
  description: 'What a cluster registers its hosts with (openshift or trivial, with options): members of a cluster that has one are active, else disassociated.',
  spec: ContainerManagerSpec,
  status: ContainerManagerStatus,
  specOptional: true,
  defaults: (spec) => ({ ...spec, type: spec.type ?? 'openshift', options: spec.options ?? {} }),
  checkDelete: (cm, lookup) => {
    const name = cm.metadata.name;
    return inUseByClusters(lookup, 'containerManager', 'container manager', name);
  },
  fields: { 'spec.type': (c) => c.spec.type },
});
