// /configuration/datasets and /state/datasets over native Datasets (httpapi.py's dataset
// routes). A dataset Flocker creates is named after its dataset_id; any Dataset of the namespace
// shows, found by its spec.id. DELETE leaves the tombstone the native kind keeps, so deleted
// datasets stay listed (deleted: true) and their ids are never reused (409).
import { randomUUID } from 'node:crypto';
import { AlreadyExists, Conflict } from '../../errors.js';
import type { Dataset, Machine } from '../../model/index.js';
import type { FlockerDoor } from './door.js';
import { native } from './native.js';
import { machineOfNode, nodeUuid } from './nodes.js';
import { DATASET_DELETED, DATASET_ID_COLLISION, DATASET_NOT_FOUND, PRIMARY_NODE_NOT_FOUND } from './wire.js';

export interface FlockerDataset {
  dataset_id: string;
  deleted: boolean;
  primary?: string;
  metadata: Record<string, string>;
  maximum_size?: number;
}

export interface DatasetInput {
  primary: string;
  dataset_id?: string;
  maximum_size?: number | null;
  metadata?: Record<string, string>;
  deleted?: boolean;
}

const datasetsOf = (door: FlockerDoor) => door.registry.kind<Dataset>('datasets', door.namespace);

/** Flocker's view of a dataset's configuration (api_dataset_from_dataset_and_node). */
export function configurationOf(ds: Dataset): FlockerDataset {
  return {
    dataset_id: ds.spec.id ?? ds.metadata.name,
    deleted: ds.spec.deleted ?? false,
    ...(ds.spec.primary !== undefined ? { primary: nodeUuid(ds.spec.primary) } : {}),
    metadata: ds.spec.metadata ?? {},
    ...(ds.spec.maximumSize !== undefined ? { maximum_size: ds.spec.maximumSize } : {}),
  };
}

export function listDatasets(door: FlockerDoor): Dataset[] {
  return datasetsOf(door)
    .list(door.ctx)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

/** The dataset whose dataset_id is `id` (as given: Flocker matches ids exactly), or DATASET_NOT_FOUND. */
export function findDataset(door: FlockerDoor, id: string): Dataset {
  const found = datasetsOf(door).list(door.ctx, { fields: [{ field: 'spec.id', op: '=', value: id }] })[0];
  if (!found) throw DATASET_NOT_FOUND();
  return found;
}

function primaryMachine(door: FlockerDoor, uuid: string): Machine {
  const m = machineOfNode(door, uuid);
  if (!m) throw PRIMARY_NODE_NOT_FOUND();
  return m;
}

export async function createDataset(door: FlockerDoor, input: DatasetInput): Promise<FlockerDataset> {
  const id = (input.dataset_id ?? randomUUID()).toLowerCase();
  const machine = primaryMachine(door, input.primary);
  const body = {
    metadata: { name: id },
    spec: {
      id,
      primary: machine.metadata.name,
      ...(typeof input.maximum_size === 'number' ? { maximumSize: input.maximum_size } : {}),
      metadata: input.metadata ?? {},
      ...(input.deleted ? { deleted: true } : {}),
    },
  };
  try {
    return configurationOf(await datasetsOf(door).create(door.ctx, body));
  } catch (err) {
    // The name (the id) is taken, or the id by a dataset of another name: Flocker's one collision.
    if (err instanceof AlreadyExists || err instanceof Conflict) throw DATASET_ID_COLLISION();
    return native(() => Promise.reject(err));
  }
}

/** POST /configuration/datasets/{id}: moves the dataset when `primary` is given. */
export async function updateDataset(door: FlockerDoor, id: string, input: { primary?: string }): Promise<FlockerDataset> {
  const ds = findDataset(door, id);
  if (ds.spec.deleted) throw DATASET_DELETED();
  if (input.primary === undefined) return configurationOf(ds);
  const target = primaryMachine(door, input.primary).metadata.name;
  const updated = await native(() =>
    datasetsOf(door).update(
      door.ctx,
      ds.metadata.name,
      (cur) => {
        if (cur.spec.deleted) throw DATASET_DELETED();
        return cur.spec.primary === target ? undefined : { ...cur, spec: { ...cur.spec, primary: target } };
      },
      { uid: ds.metadata.uid },
    ),
  );
  return configurationOf(updated);
}

/** DELETE /configuration/datasets/{id}: idempotent; the dataset stays, deleted. */
export async function deleteDataset(door: FlockerDoor, id: string): Promise<FlockerDataset> {
  const ds = findDataset(door, id);
  if (ds.spec.deleted) return configurationOf(ds);
  return configurationOf(await native(() => datasetsOf(door).delete(door.ctx, ds.metadata.name, { uid: ds.metadata.uid })));
}

/** GET /state/datasets: the datasets an agent holds, where (the state's primary) and at which path. */
export function datasetStates(door: FlockerDoor): Record<string, unknown>[] {
  return listDatasets(door)
    .filter((ds) => ds.status?.machine !== undefined && !ds.spec.deleted && ds.status.phase !== 'Deleted')
    .map((ds) => ({
      dataset_id: ds.spec.id ?? ds.metadata.name,
      primary: nodeUuid(ds.status!.machine!),
      ...(ds.status!.path !== undefined ? { path: ds.status!.path } : {}),
      ...(ds.spec.maximumSize !== undefined ? { maximum_size: ds.spec.maximumSize } : {}),
    }));
}
