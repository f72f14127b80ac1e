// Lease: pins a dataset to a machine (no move, no delete) until it expires or is released.
// Named after the dataset it pins, so a dataset has at most one; a controller deletes lapsed ones.
import { Type, type Static } from '@sinclair/typebox';
import type { FieldError } from '../../errors.js';
import type { LeaseSpec as ModelSpec } from '../../model/index.js';
import { defineKind, type Expect, type Same } from './kind.js';

const LeaseSpec = Type.Object(
  {
    dataset: Type.String({ minLength: 1, description: "the dataset's name, in the lease's namespace" }),
    machine: Type.String({ minLength: 1, description: 'the machine the dataset is pinned to' }),
    expiresAt: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'RFC 3339; null or absent: held until released' })),
  },
  { additionalProperties: false },
);
const LeaseStatus = Type.Object({}, { additionalProperties: false });

type _spec = Expect<Same<Static<typeof LeaseSpec>, ModelSpec>>;

export const leases = defineKind({
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
  shortNames: ['lease'],
  description: 'Pins a dataset to a machine (no move, no delete) until it expires or is released. Named after the dataset.',
  spec: LeaseSpec,
  status: LeaseStatus,
  validate: (lease) => checkLease(lease.metadata.name, lease.spec),
  fields: { 'spec.dataset': (l) => l.spec.dataset, 'spec.machine': (l) => l.spec.machine },
});

function checkLease(name: string, spec: ModelSpec): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.dataset !== name) errs.push({ path: '/spec/dataset', message: `a lease is named after its dataset: expected "${name}"` });
  if (typeof spec.expiresAt === 'string' && Number.isNaN(Date.parse(spec.expiresAt))) errs.push({ path: '/spec/expiresAt', message: 'must be an RFC 3339 time, or null' });
  return errs;
}
