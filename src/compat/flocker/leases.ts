// /configuration/leases over native Leases (httpapi.py's lease routes and _model.py's Leases). A
// lease is named after the dataset it pins; its node is the machine of that node UUID, or the UUID
// itself when no such machine has registered (Flocker takes any node). The lease-expiry
// controller deletes lapsed leases; until it has, a lapsed lease no longer holds.
import { ApiError } from '../../errors.js';
import { leaseHolds, type Dataset, type Lease } from '../../model/index.js';
import type { FlockerDoor } from './door.js';
import { native } from './native.js';
import { machineOfNode, nodeUuid } from './nodes.js';
import { LEASE_HELD, LEASE_NOT_FOUND } from './wire.js';

export interface LeaseInput {
  dataset_id: string;
  node_uuid: string;
  expires: number | null;
}

interface FlockerLease {
  dataset_id: string;
  node_uuid: string;
  /** Seconds left at the time of the answer, or null: held until released. */
  expires: number | null;
}

const leasesOf = (door: FlockerDoor) => door.registry.kind<Lease>('leases', door.namespace);
const datasetsOf = (door: FlockerDoor) => door.registry.kind<Dataset>('datasets', door.namespace);

/** The name of the native Dataset that is `datasetId` — the id itself when none is (a lease may come first). */
function datasetName(door: FlockerDoor, datasetId: string): string {
  const ds = datasetsOf(door).list(door.ctx, { fields: [{ field: 'spec.id', op: '=', value: datasetId.toLowerCase() }] })[0];
  return ds?.metadata.name ?? datasetId.toLowerCase();
}

function datasetIdOf(door: FlockerDoor, lease: Lease): string {
  return datasetsOf(door).cache.get(`${door.namespace}/${lease.spec.dataset}`)?.object.spec.id ?? lease.spec.dataset;
}

function view(door: FlockerDoor, lease: Lease, now: number): FlockerLease {
  const at = lease.spec.expiresAt;
  return {
    dataset_id: datasetIdOf(door, lease),
    node_uuid: nodeUuid(lease.spec.machine),
    expires: at === undefined || at === null ? null : (Date.parse(at) - now) / 1000,
  };
}

export function listLeases(door: FlockerDoor): FlockerLease[] {
  const now = Date.now();
  return leasesOf(door)
    .list(door.ctx)
    .map((l) => view(door, l, now));
}

/** POST /configuration/leases: acquires (201) or renews (200) the lease; 409 when another node holds it. */
export async function acquireLease(door: FlockerDoor, input: LeaseInput): Promise<{ code: 200 | 201; lease: FlockerLease }> {
  const now = Date.now();
  const name = datasetName(door, input.dataset_id);
  const machine = machineOfNode(door, input.node_uuid)?.metadata.name ?? input.node_uuid.toLowerCase();
  const spec = { dataset: name, machine, expiresAt: input.expires === null ? null : new Date(now + input.expires * 1000).toISOString() };
  const leases = leasesOf(door);
  const current = await native(() => leases.find(door.ctx, name));
  if (current && leaseHolds(current, now) && current.spec.machine !== machine) throw LEASE_HELD();
  if (!current) {
    const created = await native(() => leases.create(door.ctx, { metadata: { name }, spec }));
    return { code: 201, lease: view(door, created, now) };
  }
  const renewed = await native(() =>
    leases.update(
      door.ctx,
      name,
      (cur) => {
        if (leaseHolds(cur, now) && cur.spec.machine !== machine) throw LEASE_HELD();
        return { ...cur, spec };
      },
      { uid: current.metadata.uid },
    ),
  );
  return { code: 200, lease: view(door, renewed, now) };
}

/** DELETE /configuration/leases/{dataset_id}: releases the lease, whoever holds it. */
export async function releaseLease(door: FlockerDoor, datasetId: string): Promise<FlockerLease> {
  const now = Date.now();
  const name = datasetName(door, datasetId);
  const leases = leasesOf(door);
  const current = await native(() => leases.find(door.ctx, name).catch(passBadName));
  if (!current) throw LEASE_NOT_FOUND();
  await native(() => leases.delete(door.ctx, name, { uid: current.metadata.uid }));
  return view(door, current, now);
}

/** A name the native API cannot hold is no lease Flocker knows. */
function passBadName(err: unknown): undefined {
  if (err instanceof ApiError && err.code === 400) return undefined;
  throw err;
}
