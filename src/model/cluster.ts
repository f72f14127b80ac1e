// Cluster: a named set of Hosts (Commissaire's cluster) with the Network they share and the
// ContainerManager that takes them on. Membership lives on each Host (spec.cluster), so a host is
// in at most one cluster and joining is a change to the host alone; rolling operations go
// through the members in host-name order.
import type { ApiObject, Condition } from './meta.js';

/** Commissaire's cluster statuses: ok (every member active), degraded (some not), failed (none, with members). */
export const CLUSTER_PHASES = ['ok', 'degraded', 'failed'] as const;
export type ClusterPhase = (typeof CLUSTER_PHASES)[number];

export interface ClusterSpec {
  /** The Network the hosts share (default "default", which always exists). */
  network?: string;
  /** The ContainerManager the hosts are registered with; none: members end disassociated. */
  containerManager?: string;
}

export interface ClusterStatus {
  phase?: ClusterPhase;
  /** Members by Host status: available are active, unavailable are the rest. */
  hosts?: { total: number; available: number; unavailable: number };
  conditions?: Condition[];
}

export type Cluster = ApiObject<ClusterSpec, ClusterStatus>;

/** The network a cluster gets when it names none, and that exists from the start. */
export const DEFAULT_NETWORK = 'default';

/** A cluster's health from its members' Host phases, as Commissaire computes it: ok, degraded (some not active), failed (members, none active). */
export function clusterHealth(memberPhases: readonly (string | undefined)[]): { phase: ClusterPhase; hosts: { total: number; available: number; unavailable: number } } {
  const total = memberPhases.length;
  const available = memberPhases.filter((p) => p === 'active').length;
  const unavailable = total - available;
  const phase: ClusterPhase = total > 0 && available === 0 ? 'failed' : unavailable > 0 ? 'degraded' : 'ok';
  return { phase, hosts: { total, available, unavailable } };
}

/**
 * The phase a bootstrapped host settles in, as Commissaire decides it: active only as a member of
 * a cluster that exists and names a container manager; otherwise disassociated.
 */
export function settledHostPhase(cluster: Cluster | undefined): 'active' | 'disassociated' {
  return cluster && !cluster.metadata.deletionTimestamp && cluster.spec?.containerManager ? 'active' : 'disassociated';
}
