// /machines: fleet's Machine resource over native Machines. GET lists present machines (Ready);
// PATCH edits metadata (labels) with fleet's JSON Patch subset, on registered machines or not
// (a Machine object with only labels is created). Every operation is checked — fleet's rules,
// then the registry's (a label value the native API would refuse is refused here too) — before
// any is applied: all or nothing. Reference: fleet's api/machines.go.
import { ApiError } from '../../errors.js';
import type { Machine } from '../../model/index.js';
import type { FleetDoor } from './door.js';
import { isPresent, machineOf } from './model.js';
import { FleetError, decodeBody, goFields, jsonTypeName, pageOf, pageTokenFrom } from './wire.js';

const METADATA_PATH = /^\/([^/]+)\/metadata\/([A-Za-z0-9_.-]+)$/;

interface MetadataOp {
  op: 'add' | 'remove' | 'replace';
  machine: string;
  key: string;
  value: string;
}

export function listMachines(door: FleetDoor, query: URLSearchParams): unknown {
  const token = pageTokenFrom(query);
  const present = door.registry
    .kind<Machine>('machines')
    .list(door.ctx)
    .filter(isPresent)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  const page = pageOf(present, token);
  return { ...(page.items.length ? { machines: page.items.map(machineOf) } : {}), ...(page.next ? { nextPageToken: page.next } : {}) };
}

export async function patchMachines(door: FleetDoor, body: Buffer | undefined): Promise<void> {
  const byMachine = new Map<string, MetadataOp[]>();
  for (const op of readOps(body)) byMachine.set(op.machine, [...(byMachine.get(op.machine) ?? []), op]);
  const machines = door.registry.kind<Machine>('machines');
  /** The machine with its labels edited, as a client would PUT it; undefined when nothing changes. */
  const edit = (ops: MetadataOp[]) => (current: Machine | undefined) => {
    const before = current?.metadata.labels ?? {};
    const labels = applyOps(before, ops);
    return labels === before ? undefined : { ...current, metadata: { ...current?.metadata, name: ops[0]!.machine, labels } };
  };
  try {
    // Checked first, every machine: a refused operation leaves all of them as they were.
    for (const [name, ops] of byMachine) {
      if (edit(ops)(machines.cache.get(name)?.object)) await machines.dryRun(door.ctx, name, edit(ops));
    }
    for (const [name, ops] of byMachine) {
      const change = edit(ops);
      if (!change(machines.cache.get(name)?.object)) continue;
      if (machines.cache.get(name)) await machines.update(door.ctx, name, change);
      // Metadata for a machine that has not registered yet: it is there when its agent comes.
      else await machines.create(door.ctx, change(undefined));
    }
  } catch (err) {
    throw asFleetError(err);
  }
}

/** The labels after `ops`, or the same object when they change nothing. */
function applyOps(labels: Record<string, string>, ops: MetadataOp[]): Record<string, string> {
  let out = labels;
  for (const op of ops) {
    if (op.op === 'remove') {
      if (!(op.key in out)) continue;
      out = { ...out };
      delete out[op.key];
    } else if (out[op.key] !== op.value) {
      out = { ...out, [op.key]: op.value };
    }
  }
  return out;
}

function asFleetError(err: unknown): unknown {
  if (err instanceof ApiError) return new FleetError(err.code === 409 ? 409 : err.code >= 500 ? err.code : 400, err.message);
  return err;
}

/** Go's spelling of machineMetadataOp.Value's type, an anonymous struct with a tagged field. */
const VALUE_TYPE = 'struct { Value string "json:\\"value\\"" }';

/**
 * The body as fleet reads it: Go's decoder fills []machineMetadataOp (op, path, and value as
 * {"value": "…"}), field names matched without case; the first value of the wrong type, in
 * document order, is the answer (so a plain string value is refused, as fleet refuses it). Then
 * fleet's checks, operation by operation.
 */
function readOps(body: Buffer | undefined): MetadataOp[] {
  const raw = decodeBody(body);
  if (raw === null) return [];
  if (!Array.isArray(raw)) throw new FleetError(400, `json: cannot unmarshal ${jsonTypeName(raw)} into Go value of type []api.machineMetadataOp`);
  const decoded = (raw as unknown[]).map(decodeOp);
  const ops: MetadataOp[] = [];
  for (const { op, path, value } of decoded) {
    if (op !== 'add' && op !== 'remove' && op !== 'replace') throw new FleetError(400, 'invalid op: expect add, remove, or replace');
    const m = METADATA_PATH.exec(path);
    if (!m) throw new FleetError(400, 'machine metadata path invalid');
    if (op !== 'remove' && value.length === 0) throw new FleetError(400, 'invalid value: add and replace require a value');
    ops.push({ op, machine: m[1]!, key: m[2]!, value });
  }
  return ops;
}

/** One array element as Go decodes it into machineMetadataOp; null leaves a field empty. */
function decodeOp(item: unknown): { op: string; path: string; value: string } {
  const out = { op: '', path: '', value: '' };
  if (item === null) return out;
  if (typeof item !== 'object' || Array.isArray(item)) throw unmarshal(item, 'Go value of type api.machineMetadataOp');
  for (const [key, v] of Object.entries(goFields(item as Record<string, unknown>, ['op', 'path', 'Value']))) {
    if (v === null) continue;
    if (key !== 'Value') {
      if (typeof v !== 'string') throw unmarshal(v, `Go struct field machineMetadataOp.${key} of type string`);
      out[key as 'op' | 'path'] = v;
      continue;
    }
    if (typeof v !== 'object' || Array.isArray(v)) throw unmarshal(v, `Go struct field machineMetadataOp.Value of type ${VALUE_TYPE}`);
    const inner = goFields(v as Record<string, unknown>, ['value']).value;
    if (inner === null || inner === undefined) continue;
    if (typeof inner !== 'string') throw unmarshal(inner, 'Go struct field .Value.value of type string');
    out.value = inner;
  }
  return out;
}

function unmarshal(v: unknown, into: string): FleetError {
  return new FleetError(400, `json: cannot unmarshal ${jsonTypeName(v)} into ${into}`);
}
