// /api/v0/clusters and /api/v0/cluster/{name}: commissaire_http/handlers/clusters/__init__.py
// over Cluster. A cluster's hostset is the Hosts whose spec.cluster names it, and its status is
// computed from them at read time, as get_cluster does.
import { clusterHealth, DEFAULT_NETWORK, type Cluster, type ContainerManager, type Host, type Network } from '../../model/index.js';
import type { CommissaireDoor } from './door.js';
import { membersOf } from './host-names.js';
import { conflict, notFound, optionalString } from './wire.js';

/** Cluster.to_dict_safe(): what a create answers. */
export interface ClusterSummary {
  name: string;
  status: string;
  network: string;
  container_manager: string;
}

/** Cluster.to_dict(expose=['hosts']): what get_cluster answers (hostset included, as there). */
export interface ClusterRecord {
  name: string;
  status: string;
  network: string;
  hostset: string[];
  container_manager: string;
  hosts: { total: number; available: number; unavailable: number };
}

export function listClusters(door: CommissaireDoor): string[] {
  return door.registry.kind<Cluster>('clusters').list(door.ctx).map((c) => c.metadata.name);
}

export async function requireCluster(door: CommissaireDoor, name: string): Promise<Cluster> {
  const cluster = await door.registry.kind<Cluster>('clusters').find(door.ctx, name);
  // Commissaire answers 500 here (an uncaught lookup error); a missing cluster is 404 to everyone else.
  if (!cluster) throw notFound(`cluster "${name}" not found`);
  return cluster;
}

export async function getCluster(door: CommissaireDoor, name: string): Promise<ClusterRecord> {
  return clusterRecord(door, await requireCluster(door, name));
}

export function clusterRecord(door: CommissaireDoor, cluster: Cluster): ClusterRecord {
  const members = membersOf(door, cluster.metadata.name);
  const health = clusterHealth(members.map((h) => h.status?.phase));
  return {
    name: cluster.metadata.name,
    status: health.phase,
    network: cluster.spec.network ?? DEFAULT_NETWORK,
    hostset: members.map((h) => h.spec.address),
    container_manager: cluster.spec.containerManager ?? '',
    hosts: health.hosts,
  };
}

/**
 * create_cluster: creates or replaces (201 either way). An unknown network falls back to
 * "default", as there. Unlike there, a container manager that does not exist is refused (409)
 * rather than stored as a dangling name, and re-creating a cluster keeps its members
 * (Commissaire's save of a fresh model empties the hostset).
 */
export async function createCluster(door: CommissaireDoor, name: string, params: Record<string, unknown>): Promise<ClusterSummary> {
  const requestedNetwork = optionalString(params, 'network');
  const containerManager = optionalString(params, 'container_manager') || undefined;
  const network = requestedNetwork && (await door.registry.kind<Network>('networks').find(door.ctx, requestedNetwork).catch(() => undefined)) ? requestedNetwork : DEFAULT_NETWORK;
  if (containerManager && !(await door.registry.kind<ContainerManager>('containermanagers').find(door.ctx, containerManager).catch(() => undefined))) {
    throw conflict(`container manager "${containerManager}" does not exist`);
  }
  const body = { metadata: { name }, spec: { network, ...(containerManager ? { containerManager } : {}) } };
  const { object } = await door.registry.kind<Cluster>('clusters').replace(door.ctx, name, body);
  // Cluster.new leaves status '' until someone computes it.
  return { name, status: '', network: object.spec.network ?? DEFAULT_NETWORK, container_manager: object.spec.containerManager ?? '' };
}

/** delete_cluster: the hostset goes with the cluster, so its members leave it first. */
export async function deleteCluster(door: CommissaireDoor, name: string): Promise<[]> {
  await requireCluster(door, name);
  for (const host of membersOf(door, name)) await setMembership(door, host, undefined);
  await door.registry.kind<Cluster>('clusters').delete(door.ctx, name);
  return [];
}

/** Puts a host in a cluster, or out of any (spec.cluster, the host's alone). */
export async function setMembership(door: CommissaireDoor, host: Host, cluster: string | undefined): Promise<void> {
  await door.registry.kind<Host>('hosts').update(door.ctx, host.metadata.name, (cur) => {
    const { cluster: _old, ...spec } = cur.spec;
    return { ...cur, spec: cluster === undefined ? spec : { ...spec, cluster } };
  });
}
