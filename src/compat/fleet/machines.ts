// /machines: fleet's Machine resource over native Machines. GET lists present machines (Ready);
// PATCH edits metadata (labels) with fleet's JSON Patch subset, on registered machines or not
// (a Machine object with only labels is created), all operations checked before any is applied.
// Reference: fleet's api/machines.go.
import type { Kind } from '../../api/kinds/kind.js';
import { kinds } from '../../api/kinds/registry.js';
import { toObject } from '../../api/resources/objects.js';
import { ApiError } from '../../errors.js';
import type { State } from '../../state/state.js';
import { isPresent, machineOf } from './model.js';
import { FleetError, decodeBody, jsonTypeName, pageOf, pageTokenFrom } from './wire.js';

const machineKind = kinds.find((k) => k.plural === 'machines') as Kind;

const METADATA_PATH = /^\/([^/]+)\/metadata\/([A-Za-z0-9_.-]+)$/;

interface MetadataOp {
  op: 'add' | 'remove' | 'replace';
  machine: string;
  key: string;
  value: string;
}

export function listMachines(state: State, query: URLSearchParams): unknown {
  const token = pageTokenFrom(query);
  const present = state.resources('machines').list().filter(isPresent).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  const page = pageOf(present, token);
  return { ...(page.items.length ? { machines: page.items.map(machineOf) } : {}), ...(page.next ? { nextPageToken: page.next } : {}) };
}

export async function patchMachines(state: State, body: Buffer | undefined): Promise<void> {
  const ops = readOps(body);
  const repo = state.resources('machines');
  for (const op of ops) {
    const current = repo.get(op.machine);
    if (op.op === 'remove') {
      if (!current?.metadata.labels || !(op.key in current.metadata.labels)) continue;
      await repo.update(op.machine, (cur) => {
        const labels = { ...cur.metadata.labels };
        delete labels[op.key];
        return { ...cur, metadata: { ...cur.metadata, labels } };
      });
    } else if (current) {
      await repo.update(op.machine, (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, [op.key]: op.value } } }));
    } else {
      // Metadata for a machine that has not registered yet: it is there when its agent comes.
      try {
        await repo.create(toObject(machineKind, { metadata: { name: op.machine, labels: { [op.key]: op.value } } }, { name: op.machine }));
      } catch (err) {
        if (err instanceof ApiError) throw new FleetError(err.code === 409 ? 409 : 400, err.message);
        throw err;
      }
    }
  }
}

/** The body as fleet reads it: an array of {op, path, value: {value}}; a plain string value is accepted too. */
function readOps(body: Buffer | undefined): MetadataOp[] {
  const raw = decodeBody(body);
  if (raw === null) return [];
  if (!Array.isArray(raw)) throw new FleetError(400, `json: cannot unmarshal ${jsonTypeName(raw)} into Go value of type []api.machineMetadataOp`);
  const ops: MetadataOp[] = [];
  for (const item of raw as unknown[]) {
    const o = (item && typeof item === 'object' && !Array.isArray(item) ? item : {}) as Record<string, unknown>;
    const op = typeof o.op === 'string' ? o.op : '';
    const path = typeof o.path === 'string' ? o.path : '';
    const v = o.value;
    const value = typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { value?: unknown }).value === 'string' ? (v as { value: string }).value : '';
    if (op !== 'add' && op !== 'remove' && op !== 'replace') throw new FleetError(400, 'invalid op: expect add, remove, or replace');
    const m = METADATA_PATH.exec(path);
    if (!m) throw new FleetError(400, 'machine metadata path invalid');
    if (op !== 'remove' && value.length === 0) throw new FleetError(400, 'invalid value: add and replace require a value');
    ops.push({ op, machine: m[1]!, key: m[2]!, value });
  }
  return ops;
}
