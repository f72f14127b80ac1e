// Replicante nodes in the native model. A node drover provisioned is an Installation labelled
// with its cluster, node id, group and class, pinned to its machine (constraints.machine); any
// Service labelled with a cluster id is a Replicante cluster too (each of its tasks a node, or the
// service itself when it carries a node id and runs one replica). Discovery is a pure function of
// these objects, so the façade translates and keeps nothing.
import { INSTALLATION_LABEL, type Installation } from './installation.js';
import type { Machine } from './machine.js';
import { packageObjectName, type Package } from './package.js';
import type { Service } from './service.js';
import { TERMINAL_PHASES, type Task } from './task.js';

export const REPLICANTE_CLUSTER_LABEL = 'replicante.io/cluster-id';
export const REPLICANTE_NODE_LABEL = 'replicante.io/node-id';
export const REPLICANTE_GROUP_LABEL = 'replicante.io/node-group';
export const REPLICANTE_CLASS_LABEL = 'replicante.io/node-class';
/** On a labelled Service: the port of its node's agent endpoint (an Installation's comes from its package's agentPort). */
export const REPLICANTE_AGENT_PORT_LABEL = 'replicante.io/agent-port';
/** On an Installation and a Machine a provider made: which provider ("local", "ssh"). */
export const REPLICANTE_PROVIDER_LABEL = 'replicante.io/provider';

/** node_class when nothing says one: current Core requires the field. */
export const DEFAULT_NODE_CLASS = 'default';

/** The SDK's ClusterDiscoveryNode (replisdk src/platform/models.rs). */
export interface DiscoveredNode {
  agent_address: string;
  node_class: string;
  node_id: string;
  node_group: string | null;
}

export interface DiscoveredCluster {
  cluster_id: string;
  nodes: DiscoveredNode[];
}

export interface DiscoveryInput {
  installations: Installation[];
  services: Service[];
  tasks: Task[];
  machines: Machine[];
  packages: Package[];
}

/** Every Replicante cluster: its nodes whatever their health, sorted by cluster and node id. */
export function discoverClusters(input: DiscoveryInput): DiscoveredCluster[] {
  const machines = new Map(input.machines.map((m) => [m.metadata.name, m]));
  const packages = new Map(input.packages.map((p) => [p.metadata.name, p]));
  const clusters = new Map<string, Map<string, DiscoveredNode>>();
  const add = (cluster: string, node: DiscoveredNode) => {
    const nodes = clusters.get(cluster) ?? new Map<string, DiscoveredNode>();
    clusters.set(cluster, nodes);
    if (!nodes.has(node.node_id)) nodes.set(node.node_id, node);
  };
  const nodeInstallations = new Set<string>();
  for (const inst of input.installations) {
    const node = installationNode(inst, machines, packages);
    if (!node) continue;
    nodeInstallations.add(`${inst.metadata.namespace ?? ''}/${inst.metadata.name}`);
    add(inst.metadata.labels![REPLICANTE_CLUSTER_LABEL]!, node);
  }
  for (const svc of input.services) {
    const labels = svc.metadata.labels ?? {};
    const cluster = labels[REPLICANTE_CLUSTER_LABEL];
    if (!cluster || svc.metadata.deletionTimestamp) continue;
    // A provisioned node's Service carries its installation's labels: the installation speaks for it.
    const owner = labels[INSTALLATION_LABEL];
    if (owner !== undefined && nodeInstallations.has(`${svc.metadata.namespace ?? ''}/${owner}`)) continue;
    for (const node of serviceNodes(svc, input.tasks, machines)) add(cluster, node);
  }
  return [...clusters.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([cluster_id, nodes]) => ({ cluster_id, nodes: [...nodes.values()].sort((a, b) => (a.node_id < b.node_id ? -1 : a.node_id > b.node_id ? 1 : 0)) }));
}

/** The node an Installation is, when it is labelled as one and not being deleted. */
export function installationNode(inst: Installation, machines: Map<string, Machine>, packages: Map<string, Package>): DiscoveredNode | undefined {
  const labels = inst.metadata.labels ?? {};
  const nodeId = labels[REPLICANTE_NODE_LABEL];
  if (!labels[REPLICANTE_CLUSTER_LABEL] || !nodeId || inst.metadata.deletionTimestamp) return undefined;
  const version = inst.spec.version ?? inst.status?.version;
  const pkg = version === undefined ? undefined : packages.get(packageObjectName(inst.spec.package, version));
  const portParam = pkg?.spec.agentPort;
  const port = (portParam === undefined ? undefined : inst.spec.values?.[portParam]) ?? labels[REPLICANTE_AGENT_PORT_LABEL];
  return {
    agent_address: agentAddress(machines.get(inst.spec.constraints?.machine ?? ''), inst.spec.constraints?.machine, port),
    node_class: labels[REPLICANTE_CLASS_LABEL] || DEFAULT_NODE_CLASS,
    node_id: nodeId,
    node_group: labels[REPLICANTE_GROUP_LABEL] ?? null,
  };
}

/** A labelled Service's nodes: the service itself when it names its node and runs one replica, else each live task. */
function serviceNodes(svc: Service, tasks: Task[], machines: Map<string, Machine>): DiscoveredNode[] {
  const labels = svc.metadata.labels ?? {};
  const own = tasks.filter(
    (t) =>
      t.metadata.namespace === svc.metadata.namespace &&
      !t.metadata.deletionTimestamp &&
      !TERMINAL_PHASES.has(t.status?.phase ?? '') &&
      t.metadata.ownerReferences?.some((r) => r.kind === 'Service' && r.uid === svc.metadata.uid),
  );
  const node = (id: string, machine: string | undefined): DiscoveredNode => ({
    agent_address: agentAddress(machines.get(machine ?? ''), machine, labels[REPLICANTE_AGENT_PORT_LABEL]),
    node_class: labels[REPLICANTE_CLASS_LABEL] || DEFAULT_NODE_CLASS,
    node_id: id,
    node_group: labels[REPLICANTE_GROUP_LABEL] ?? null,
  });
  const named = labels[REPLICANTE_NODE_LABEL];
  if (named && (svc.spec.replicas ?? 1) <= 1 && !svc.spec.global) return [node(named, own[0]?.spec.machine ?? svc.spec.constraints?.machine)];
  return own.map((t) => node(t.metadata.name, t.spec.machine));
}

/**
 * The address a machine is reached at: the host of its agent endpoint (where the control plane
 * reaches it: a Host's own address, 127.0.0.1 for the local provider's machines), else the
 * address its agent reported, else its hostname.
 */
export function machineHost(machine: Machine | undefined): string | undefined {
  const endpoint = machine?.status?.agentEndpoint;
  if (endpoint) {
    try {
      return new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
    } catch {
      // not a URL: fall back to the reported address
    }
  }
  return machine?.status?.address ?? machine?.status?.hostname;
}

/** A package parameter of this name is the address the store listens on: a node's is its machine's (unless attributes say otherwise). */
export const BIND_PARAMETER = 'bind';

/** http://host:port of a node: its machine's host (machineHost), else the machine's name. */
function agentAddress(machine: Machine | undefined, name: string | undefined, port: string | undefined): string {
  const host = machineHost(machine) ?? name ?? 'unknown';
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return port ? `http://${bracketed}:${port}` : `http://${bracketed}`;
}

