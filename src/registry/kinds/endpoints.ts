// Endpoints: where a service's tasks answer. Written only by the endpoints controller (through
// the state, not this door): the API serves reads and watches, and a delete, which the
// controller undoes while the service exists — as Kubernetes' Endpoints, users never write them.
import { Type, type Static } from '@sinclair/typebox';
import type { EndpointsStatus as ModelStatus } from '../../model/index.js';
import { defineKind, type Expect, type Same } from './kind.js';

const Protocol = Type.Union([Type.Literal('tcp'), Type.Literal('udp')]);

const EndpointsSpec = Type.Object({}, { additionalProperties: false });
const EndpointsStatus = Type.Object(
  {
    addresses: Type.Optional(
      Type.Array(
        Type.Object(
          {
            task: Type.String({ description: "the task's name" }),
            machine: Type.String(),
            host: Type.String({ description: "the machine's address as its agent reports it" }),
            ports: Type.Record(Type.String(), Type.Integer(), { description: 'port number by port name (the task\'s allocated ports)' }),
            ready: Type.Boolean({ description: 'only ready addresses get traffic and DNS answers' }),
          },
          { additionalProperties: false },
        ),
        { description: 'every live, placed task of the service, ready or not, ordered by task name' },
      ),
    ),
    ports: Type.Optional(Type.Array(Type.Object({ name: Type.String(), protocol: Protocol }, { additionalProperties: false }), { description: "the service's port names and protocols" })),
    ingress: Type.Optional(
      Type.Array(Type.Object({ port: Type.Integer(), targetPort: Type.Optional(Type.String()) }, { additionalProperties: false }), { description: "the service's stable layer 4 ports" }),
    ),
  },
  { additionalProperties: false },
);

type _status = Expect<Same<Static<typeof EndpointsStatus>, ModelStatus>>;

export const endpoints = defineKind({
  kind: 'Endpoints',
  plural: 'endpoints',
  namespaced: true,
  shortNames: ['endpoint', 'ep'],
  description: "Where a service's tasks answer: each live task's machine address, ports and readiness (named after the service; written by the endpoints controller).",
  spec: EndpointsSpec,
  status: EndpointsStatus,
  specOptional: true,
  verbs: ['get', 'list', 'watch', 'delete'],
});
