// /api/v0/cluster/{name}/hosts[/{address}]: list, replace (old/new), membership test, add and
// remove. Membership is each Host's spec.cluster, so a host is in one cluster at most: adding one
// that is in another is refused (409) where Commissaire, which keeps a hostset per cluster, would
// list it in both.
import type { Host } from '../../model/index.js';
import { clusterRecord, requireCluster, setMembership, type ClusterRecord } from './clusters.js';
import type { CommissaireDoor } from './door.js';
import { hostAt, membersOf } from './host-names.js';
import { badRequest, conflict, notAllowed, notFound } from './wire.js';

/** host_suitable_for_cluster: it has been investigated and bootstrapped. */
function isSuitable(host: Host): boolean {
  return host.status?.phase === 'active' || host.status?.phase === 'disassociated';
}

function checkJoinable(host: Host, cluster: string): void {
  if (host.spec.cluster !== undefined && host.spec.cluster !== cluster) throw conflict(`host "${host.spec.address}" is in cluster "${host.spec.cluster}"`);
  if (!isSuitable(host)) throw notAllowed(`host ${host.spec.address} (status: ${host.status?.phase ?? ''}) not ready to join cluster "${cluster}"`);
}

export async function listMembers(door: CommissaireDoor, cluster: string): Promise<string[]> {
  await requireCluster(door, cluster);
  return membersOf(door, cluster).map((h) => h.spec.address);
}

/**
 * update_cluster_members: `old` must be the hostset as it is (409 otherwise); the hosts `new`
 * adds must exist and be suitable (405). Everything is checked before the first host changes.
 * Answers Cluster.to_dict() (the hostset, no host counts), as there.
 */
export async function replaceMembers(door: CommissaireDoor, name: string, params: Record<string, unknown>): Promise<Omit<ClusterRecord, 'hosts'>> {
  const old = addressSet(params.old, 'old');
  const wanted = addressSet(params.new, 'new');
  const cluster = await requireCluster(door, name);
  const current = membersOf(door, name);
  const currentAddresses = new Set(current.map((h) => h.spec.address));
  if (old.size !== currentAddresses.size || [...old].some((a) => !currentAddresses.has(a))) throw conflict(`conflict setting hosts for cluster ${name}`);
  const joining: Host[] = [];
  for (const address of wanted) {
    if (old.has(address)) continue;
    const host = hostAt(door, address);
    if (!host) throw notFound(`no host at "${address}"`);
    checkJoinable(host, name);
    joining.push(host);
  }
  for (const host of current) if (!wanted.has(host.spec.address)) await setMembership(door, host, undefined);
  for (const host of joining) await setMembership(door, host, name);
  const { hosts: _counts, ...record } = clusterRecord(door, cluster);
  return record;
}

function addressSet(value: unknown, key: string): Set<string> {
  if (!Array.isArray(value) || value.some((a) => typeof a !== 'string')) throw badRequest(`"${key}" must be a list of host addresses`);
  return new Set(value as string[]);
}

/** check_cluster_member: [address] when it is a member, else 404. */
export async function checkMember(door: CommissaireDoor, cluster: string, address: string): Promise<[string]> {
  await requireCluster(door, cluster);
  if (hostAt(door, address)?.spec.cluster !== cluster) throw notFound(`host "${address}" is not part of cluster "${cluster}"`);
  return [address];
}

/** add_cluster_member: [address]; already a member is fine. */
export async function addMember(door: CommissaireDoor, cluster: string, address: string): Promise<[string]> {
  const host = hostAt(door, address);
  if (!host) throw notFound(`no host at "${address}"`);
  await requireCluster(door, cluster);
  if (host.spec.cluster === cluster) return [address];
  checkJoinable(host, cluster);
  await setMembership(door, host, cluster);
  return [address];
}

/** delete_cluster_member: [] whether or not it was a member. */
export async function removeMember(door: CommissaireDoor, cluster: string, address: string): Promise<[]> {
  await requireCluster(door, cluster);
  const host = hostAt(door, address);
  if (host?.spec.cluster === cluster) await setMembership(door, host, undefined);
  return [];
}
