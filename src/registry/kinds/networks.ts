// Network: schema and strategy. Configuration only; "default" always exists, and a network a
// cluster uses cannot be deleted from under it.
import { Type, type Static } from '@sinclair/typebox';
import { DEFAULT_NETWORK, NETWORK_TYPES, type NetworkSpec as ModelSpec } from '../../model/index.js';
import { inUseByClusters } from './clusters.js';
import { defineKind, type Expect, type Same } from './kind.js';

const NetworkSpec = Type.Object(
  {
    type: Type.Optional(Type.Union(NETWORK_TYPES.map((t) => Type.Literal(t)), { description: 'flannel_etcd (default) or flannel_server' })),
    options: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'options of the network type (flannel_server: {address: "host:port"})' })),
  },
  { additionalProperties: false },
);
const NetworkStatus = Type.Object({}, { additionalProperties: false });

type _spec = Expect<Same<Static<typeof NetworkSpec>, ModelSpec>>;

export const networks = defineKind({
  kind: 'Network',
  plural: 'networks',
  shortNames: ['network', 'net'],
  description: 'How a cluster\'s hosts network their containers (flannel_etcd or flannel_server, with options); "default" always exists.',
  spec: NetworkSpec,
  status: NetworkStatus,
  specOptional: true,
  defaults: (spec) => ({ ...spec, type: spec.type ?? 'flannel_etcd', options: spec.options ?? {} }),
  checkDelete: (network, lookup) => {
    const name = network.metadata.name;
    if (name === DEFAULT_NETWORK) return `network "${DEFAULT_NETWORK}" always exists and cannot be deleted`;
    return inUseByClusters(lookup, 'network', 'network', name);
  },
  fields: { 'spec.type': (n) => n.spec.type },
});
