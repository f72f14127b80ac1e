// Dataset: schema and strategy. The id is the Flocker dataset_id: a version 4 UUID, lowercase,
// generated when absent, immutable, unique across namespaces and never reused — DELETE leaves a
// tombstone (spec.deleted) so the id stays taken. Flocker's own limits hold at every door:
// maximumSize ≥ 64 MiB and a multiple of 1024, metadata ≤ 16 string entries of ≤ 256 characters.
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { Conflict, type FieldError } from '../../errors.js';
import {
  DATASET_BACKENDS,
  DATASET_PHASES,
  MIN_DATASET_SIZE,
  UUID_V4,
  type Dataset,
  type DatasetSpec as ModelSpec,
  type DatasetStatus as ModelStatus,
} from '../../model/index.js';
import { escapePointer } from '../names.js';
import { Condition } from './common.js';
import { defineKind, type Expect, type Same, type Lookup } from './kind.js';

export const MAX_DATASET_METADATA = 16;
export const MAX_DATASET_METADATA_VALUE = 256;

const DatasetSpec = Type.Object(
  {
    id: Type.Optional(Type.String({ description: 'version 4 UUID (Flocker dataset_id); generated when absent; immutable, never reused' })),
    primary: Type.Optional(Type.String({ minLength: 1, description: 'machine that should hold the live copy; changing it moves the data' })),
    maximumSize: Type.Optional(Type.Integer({ minimum: 0, description: 'bytes: at least 64 MiB and a multiple of 1024; the loopback image size' })),
    backend: Type.Optional(Type.Union(DATASET_BACKENDS.map((b) => Type.Literal(b)), { description: 'directory (default) or loopback (an ext4 image, loop-mounted)' })),
    metadata: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'free string map (≤ 16 entries, values ≤ 256 characters)' })),
    deleted: Type.Optional(Type.Boolean({ description: 'tombstone: the data is removed, the object stays so its id is never reused; cannot be unset' })),
  },
  { additionalProperties: false },
);

const DatasetMove = Type.Object(
  {
    from: Type.String(),
    to: Type.String(),
    phase: Type.Union([Type.Literal('Waiting'), Type.Literal('Sending'), Type.Literal('Verifying')]),
    bytesDone: Type.Integer({ minimum: 0 }),
    bytesTotal: Type.Integer({ minimum: 0 }),
    startedAt: Type.String(),
    attempts: Type.Optional(Type.Integer({ minimum: 0 })),
    message: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const DatasetStatus = Type.Object(
  {
    phase: Type.Optional(Type.Union(DATASET_PHASES.map((p) => Type.Literal(p)))),
    machine: Type.Optional(Type.String({ description: 'machine holding the live copy' })),
    path: Type.Optional(Type.String({ description: 'directory or mount point on that machine' })),
    size: Type.Optional(Type.Integer({ minimum: 0, description: 'bytes used' })),
    move: Type.Optional(Type.Union([DatasetMove, Type.Null()])),
    message: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    observedGeneration: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(Condition)),
  },
  { additionalProperties: false },
);

type _spec = Expect<Same<Static<typeof DatasetSpec>, ModelSpec>>;
type _status = Expect<Same<Static<typeof DatasetStatus>, ModelStatus>>;

export const datasets = defineKind({
  kind: 'Dataset',
  plural: 'datasets',
  namespaced: true,
  shortNames: ['dataset', 'ds'],
  description: 'Data that lives on one machine at a time (a directory or a loop-mounted ext4 image) and moves with its bytes when its primary changes.',
  spec: DatasetSpec,
  status: DatasetStatus,
  specOptional: true,
  generatedNamePrefix: 'dataset-',
  defaults: (spec) => ({ ...spec, backend: spec.backend ?? 'directory', metadata: spec.metadata ?? {} }),
  validate: (ds) => checkSpec(ds.spec),
  prepare: (ds, lookup) => withUniqueId(ds, lookup),
  validateUpdate: (next, current) => checkChange(next.spec, current.spec),
  toStored: (next, current) => withId(next, current),
  tombstone: (current) => (current.spec.deleted ? undefined : { ...current, spec: { ...current.spec, deleted: true } }),
  fields: {
    'spec.id': (ds) => ds.spec.id,
    'spec.primary': (ds) => ds.spec.primary,
    'status.machine': (ds) => ds.status?.machine,
    'spec.deleted': (ds) => String(ds.spec.deleted ?? false),
  },
});

function checkSpec(spec: ModelSpec): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.id !== undefined && !UUID_V4.test(spec.id)) errs.push({ path: '/spec/id', message: 'must be a version 4 UUID (xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx)' });
  const size = spec.maximumSize;
  if (size !== undefined && (size < MIN_DATASET_SIZE || size % 1024 !== 0)) {
    errs.push({ path: '/spec/maximumSize', message: `must be at least ${MIN_DATASET_SIZE} bytes (64 MiB) and a multiple of 1024; got ${size}` });
  }
  if (spec.backend === 'loopback' && size === undefined) errs.push({ path: '/spec/maximumSize', message: 'a loopback dataset needs a maximumSize: it is the size of its image file' });
  const entries = Object.entries(spec.metadata ?? {});
  if (entries.length > MAX_DATASET_METADATA) errs.push({ path: '/spec/metadata', message: `has ${entries.length} entries; at most ${MAX_DATASET_METADATA}` });
  for (const [k, v] of entries) {
    if (k.length > MAX_DATASET_METADATA_VALUE || v.length > MAX_DATASET_METADATA_VALUE) {
      errs.push({ path: `/spec/metadata/${escapePointer(k)}`, message: `keys and values are at most ${MAX_DATASET_METADATA_VALUE} characters` });
    }
  }
  return errs;
}

function checkChange(next: ModelSpec, current: ModelSpec): FieldError[] {
  const errs: FieldError[] = [];
  if (next.id !== undefined && next.id.toLowerCase() !== current.id) errs.push({ path: '/spec/id', message: `is immutable (${current.id})` });
  if ((next.backend ?? 'directory') !== (current.backend ?? 'directory')) errs.push({ path: '/spec/backend', message: `is immutable (${current.backend ?? 'directory'})` });
  if (next.maximumSize !== current.maximumSize) errs.push({ path: '/spec/maximumSize', message: 'is immutable: create a new dataset of the size and copy the data' });
  if (current.deleted && !next.deleted) errs.push({ path: '/spec/deleted', message: 'a deleted dataset stays deleted (its data is gone); create a new one' });
  if (current.deleted && next.primary !== current.primary) errs.push({ path: '/spec/primary', message: 'a deleted dataset cannot move' });
  return errs;
}

/** The id, lowercased, and refused (409) when another dataset — live or a tombstone, in any namespace — has it. */
function withUniqueId(ds: Dataset, lookup: Lookup): Dataset {
  const id = ds.spec.id?.toLowerCase();
  if (id === undefined) return ds;
  for (const other of lookup.objects('datasets') as Iterable<Dataset>) {
    if (other.spec.id === id && (other.metadata.name !== ds.metadata.name || other.metadata.namespace !== ds.metadata.namespace)) {
      throw new Conflict(`dataset id ${id} is taken by dataset "${other.metadata.name}" in namespace "${other.metadata.namespace ?? 'default'}"${other.spec.deleted ? ' (deleted: ids are never reused)' : ''}`);
    }
  }
  return { ...ds, spec: { ...ds.spec, id } };
}

/** A new dataset gets a fresh id; an update that leaves it out keeps the current one. */
function withId(next: Dataset, current: Dataset | undefined): Dataset {
  if (next.spec.id !== undefined) return next;
  return { ...next, spec: { ...next.spec, id: current?.spec.id ?? randomUUID() } };
}
