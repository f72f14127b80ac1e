// Operation: asynchronous work (compaction, drain…), created with 202 Accepted and polled.
import type { ApiObject, Condition } from './meta.js';

export const OPERATION_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;
export type OperationPhase = (typeof OPERATION_PHASES)[number];
export const TERMINAL_OPERATION_PHASES: ReadonlySet<string> = new Set<OperationPhase>(['Succeeded', 'Failed']);

export const OPERATION_TYPES = ['Compact', 'Drain', 'ClusterDeploy', 'ClusterUpgrade', 'ClusterRestart', 'ReplicanteProvision', 'ReplicanteDeprovision'] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

/** Commissaire's cluster operations: they act on a Cluster (target) and go through its hosts in order. */
export const CLUSTER_OPERATION_TYPES = ['ClusterDeploy', 'ClusterUpgrade', 'ClusterRestart'] as const;
export type ClusterOperationType = (typeof CLUSTER_OPERATION_TYPES)[number];

export interface OperationSpec {
  type: OperationType;
  target?: { kind: string; name: string };
  params?: Record<string, unknown>;
}

export const OPERATION_STEP_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Skipped'] as const;
export type OperationStepPhase = (typeof OPERATION_STEP_PHASES)[number];

/** One unit of an operation's work and how far it got: for cluster operations, one host. */
export interface OperationStep {
  /** What the step works on: the Host's name for cluster operations. */
  name: string;
  /** The host's address, when the step is a host. */
  address?: string;
  phase: OperationStepPhase;
  startedAt?: string;
  finishedAt?: string;
  /** What it is doing or why it failed (the command's exit code and last output lines). */
  message?: string;
}

export interface OperationStatus {
  phase?: OperationPhase;
  progress?: { completed: number; total: number; message?: string };
  /** Per-step progress, in the order the steps run. */
  steps?: OperationStep[];
  conditions?: Condition[];
  result?: unknown;
  error?: string;
  startedAt?: string;
  finishedAt?: string;
}

export type Operation = ApiObject<OperationSpec, OperationStatus>;

/** Parameters of each operation type, as their schemas (src/registry/kinds/operations.ts) admit them. */
export interface CompactParams {
  /** Discard history up to this revision (default: all but the last 1,000). */
  revision?: number;
}
export interface DrainParams {
  /** One-off tasks too (nothing replaces them). */
  force?: boolean;
  /** How long to wait for the tasks to stop (default 120). */
  timeoutSeconds?: number;
}

/** The command sets a cluster operation can run on a host: Atomic's rpm-ostree (the default) or a package manager. */
export const OS_PROFILES = ['rpm-ostree', 'dnf', 'yum', 'apt-get'] as const;
export type OsProfile = (typeof OS_PROFILES)[number];

/** Parameters of ClusterDeploy, ClusterUpgrade and ClusterRestart. */
export interface ClusterOperationParams {
  /** ClusterDeploy only, and required there: the version (OSTree version or package version) to deploy. */
  version?: string;
  /** Hosts worked on at once (default 1). */
  batchSize?: number;
  /** Which commands run on each host (default rpm-ostree). */
  profile?: OsProfile;
  /** Commands run on each host instead of the profile's, in order, each an argument array; "{version}" stands for params.version. */
  commands?: string[][];
  /** How long one host may take, its restart included (default 600). */
  hostTimeoutSeconds?: number;
  /** The name of a Failed operation of the same type on the same cluster: hosts it finished are skipped. */
  resume?: string;
}

/** Parameters of ReplicanteProvision: nodes of one group of a Replicante cluster, each a machine from the provider running the store's package. */
export interface ReplicanteProvisionParams {
  clusterId: string;
  /** The Package object (NAME-VERSION) the nodes install. */
  package: string;
  nodeGroup: string;
  nodeClass: string;
  /** The node ids, one per node, answered to Core before the work starts. */
  nodeIds: string[];
  /** Cluster attributes overridden key by key by the group's. */
  attributes?: Record<string, unknown>;
}

/** Parameters of ReplicanteDeprovision: one node of a Replicante cluster. */
export interface ReplicanteDeprovisionParams {
  clusterId: string;
  nodeId: string;
}
