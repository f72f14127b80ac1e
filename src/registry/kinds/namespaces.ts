// Namespace: schema and strategy. Names are DNS labels (they become URL and store-key segments).
// Deleting one that still holds objects is refused (409), as Nomad does: nothing is deleted in
// bulk behind the caller's back. The check reads the cache just before the delete, so a create
// racing the delete may still land in the namespace as it goes: such an object shows in lists
// without a namespace, and recreating the namespace makes it reachable again (to delete it).
// "default" cannot be deleted.
import { Type, type Static } from '@sinclair/typebox';
import { DEFAULT_NAMESPACE, namespaceNameProblem, type NamespaceSpec as ModelSpec, type NamespaceStatus as ModelStatus } from '../../model/index.js';
import { ByteQuantity, CpuQuantity } from './common.js';
import { defineKind, type Expect, type Same } from './kind.js';

const NamespaceSpec = Type.Object(
  {
    quota: Type.Optional(
      Type.Object(
        {
          cpu: Type.Optional(CpuQuantity),
          memory: Type.Optional(ByteQuantity),
          tasks: Type.Optional(Type.Integer({ minimum: 0, description: 'live (unfinished) tasks' })),
        },
        { additionalProperties: false, description: "what the namespace's live tasks may request together; a create past it is refused (403)" },
      ),
    ),
  },
  { additionalProperties: false },
);

const NamespaceStatus = Type.Object(
  {
    phase: Type.Optional(Type.Union([Type.Literal('Active'), Type.Literal('Terminating')])),
    used: Type.Optional(
      Type.Object(
        { cpuMilli: Type.Integer({ minimum: 0 }), memoryBytes: Type.Integer({ minimum: 0 }), tasks: Type.Integer({ minimum: 0 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

type _spec = Expect<Same<Static<typeof NamespaceSpec>, ModelSpec>>;
type _status = Expect<Same<Static<typeof NamespaceStatus>, ModelStatus>>;

export const namespaces = defineKind({
  kind: 'Namespace',
  plural: 'namespaces',
  shortNames: ['namespace', 'ns'],
  description: 'A scope for the names of services and tasks, for permissions and for quota. "default" always exists; a namespace is deleted only once empty.',
  specOptional: true,
  spec: NamespaceSpec,
  status: NamespaceStatus,
  validate: (ns) => {
    const problem = namespaceNameProblem(ns.metadata.name);
    return problem ? [{ path: '/metadata/name', message: problem }] : [];
  },
  checkDelete: (ns, lookup) => {
    if (ns.metadata.name === DEFAULT_NAMESPACE) return `namespace "${DEFAULT_NAMESPACE}" always exists and cannot be deleted`;
    const held = lookup.heldBy(ns.metadata.name);
    if (held.length === 0) return undefined;
    return `namespace "${ns.metadata.name}" still holds ${held.map((h) => `${h.count} ${h.plural}`).join(', ')}: delete them first (drover delete --all -n ${ns.metadata.name})`;
  },
});
