// Cluster: schema and strategy. Members are the Hosts whose spec.cluster names it; its status
// (Commissaire's ok/degraded/failed and host counts) is written by the clusters controller.
import { Type, type Static } from '@sinclair/typebox';
import { CLUSTER_PHASES, type ClusterSpec as ModelSpec, type ClusterStatus as ModelStatus } from '../../model/index.js';
import { nameProblem } from '../names.js';
import { Condition } from './common.js';
import { defineKind, type Expect, type Same } from './kind.js';
import type { FieldError } from '../../errors.js';
import type { Lookup } from './kind.js';

const ClusterSpec = Type.Object(
  {
    network: Type.Optional(Type.String({ description: 'the Network the hosts share (default "default")' })),
    containerManager: Type.Optional(Type.String({ description: 'the ContainerManager the hosts are registered with; none: members are disassociated' })),
  },
  { additionalProperties: false },
);

const ClusterStatus = Type.Object(
  {
    phase: Type.Optional(Type.Union(CLUSTER_PHASES.map((p) => Type.Literal(p)))),
    hosts: Type.Optional(
      Type.Object({ total: Type.Integer({ minimum: 0 }), available: Type.Integer({ minimum: 0 }), unavailable: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
    ),
    conditions: Type.Optional(Type.Array(Condition)),
  },
  { additionalProperties: false },
);

type _spec = Expect<Same<Static<typeof ClusterSpec>, ModelSpec>>;
type _status = Expect<Same<Static<typeof ClusterStatus>, ModelStatus>>;

export const clusters = defineKind({
  kind: 'Cluster',
  plural: 'clusters',
  shortNames: ['cluster'],
  description: 'A named set of Hosts (those whose spec.cluster names it) with the Network they share and the ContainerManager that takes them on; deploy, upgrade and restart it with Operations.',
  spec: ClusterSpec,
  status: ClusterStatus,
  specOptional: true,
  defaults: (spec) => ({ ...spec, network: spec.network ?? 'default' }),
  validate: (cluster) => {
    const errs: FieldError[] = [];
    for (const [path, what, value] of [
      ['/spec/network', 'network', cluster.spec.network],
      ['/spec/containerManager', 'container manager', cluster.spec.containerManager],
    ] as const) {
      const problem = value === undefined ? undefined : nameProblem(value);
      if (problem) errs.push({ path, message: `must name a ${what}: ${problem}` });
    }
    return errs;
  },
  fields: {
    'spec.network': (c) => c.spec.network,
    'spec.containerManager': (c) => c.spec.containerManager,
    'status.phase': (c) => c.status?.phase,
  },
});

/** Why `name` cannot be deleted while clusters use it as their `field` (network, containerManager), or undefined. */
export function inUseByClusters(lookup: Lookup, field: 'network' | 'containerManager', what: string, name: string): string | undefined {
  const users = [...lookup.objects('clusters')].filter((c) => (c.spec as Record<string, unknown>)[field] === name).map((c) => c.metadata.name);
  return users.length ? `${what} "${name}" is used by cluster${users.length > 1 ? 's' : ''} ${users.join(', ')}: change their ${what} first` : undefined;
}
