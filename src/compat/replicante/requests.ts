// The request bodies of /provision and /deprovision, checked as replisdk's models deserialize them
// (src/platform/models.rs) and as the spec page words them: required attributes named by their
// path in a 400, nulls where the SDK has Option or #[serde(default)], extra keys ignored. Both
// cluster.store_version (the SDK) and a group's `version` (the spec page) are read.
import { badAttribute, ReplicanteError } from './wire.js';

export interface ProvisionRequest {
  clusterId: string;
  store: string;
  /** The version the requested group runs: its own, else the cluster's. */
  version: string;
  nodeGroup: string;
  nodeClass: string;
  count: number;
  /** Cluster attributes overridden key by key by the group's. */
  attributes: Record<string, unknown>;
}

export interface DeprovisionRequest {
  clusterId: string;
  nodeId: string;
}

/** Nodes one request may ask for: bounds the work a single call starts. */
export const MAX_PROVISION_COUNT = 64;

export function decodeJson(body: unknown): unknown {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
  if (text.trim() === '') throw new ReplicanteError(400, 'the request body must be a JSON object');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ReplicanteError(400, `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function object(parent: Json, key: string, path: string): Json {
  const v = parent[key];
  if (v === undefined || v === null) throw badAttribute(path, 'is required');
  if (!isObject(v)) throw badAttribute(path, 'must be an object');
  return v;
}

function optionalObject(parent: Json, key: string, path: string): Json {
  const v = parent[key];
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw badAttribute(path, 'must be an object');
  return v;
}

function string(parent: Json, key: string, path: string): string {
  const v = parent[key];
  if (v === undefined || v === null) throw badAttribute(path, 'is required');
  if (typeof v !== 'string') throw badAttribute(path, 'must be a string');
  if (v === '') throw badAttribute(path, 'must not be empty');
  return v;
}

function optionalString(parent: Json, key: string, path: string): string | undefined {
  const v = parent[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') throw badAttribute(path, 'must be a non-empty string');
  return v;
}

function count(parent: Json, key: string, path: string, min: number, max: number | undefined): number | undefined {
  const v = parent[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || (max !== undefined && v > max)) {
    throw badAttribute(path, `must be an integer ${max === undefined ? `≥ ${min}` : `from ${min} to ${max}`}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function parseProvision(body: unknown): ProvisionRequest {
  if (!isObject(body)) throw new ReplicanteError(400, 'the request body must be a JSON object with cluster and provision');
  const cluster = object(body, 'cluster', 'cluster');
  const clusterId = string(cluster, 'cluster_id', 'cluster.cluster_id');
  const store = string(cluster, 'store', 'cluster.store');
  const clusterVersion = optionalString(cluster, 'store_version', 'cluster.store_version') ?? optionalString(cluster, 'version', 'cluster.version');
  const clusterAttributes = optionalObject(cluster, 'attributes', 'cluster.attributes');
  const nodes = object(cluster, 'nodes', 'cluster.nodes');
  const groups = new Map<string, { nodeClass: string; version?: string; attributes: Json }>();
  for (const [id, group] of Object.entries(nodes)) {
    const path = `cluster.nodes.${id}`;
    if (!isObject(group)) throw badAttribute(path, 'must be an object');
    count(group, 'desired_count', `${path}.desired_count`, 0, undefined);
    if (group.desired_count === undefined || group.desired_count === null) throw badAttribute(`${path}.desired_count`, 'is required');
    const nodeClass = string(group, 'node_class', `${path}.node_class`);
    const version = optionalString(group, 'store_version', `${path}.store_version`) ?? optionalString(group, 'version', `${path}.version`);
    groups.set(id, { nodeClass, attributes: optionalObject(group, 'attributes', `${path}.attributes`), ...(version ? { version } : {}) });
  }
  const provision = object(body, 'provision', 'provision');
  const nodeGroup = string(provision, 'node_group_id', 'provision.node_group_id');
  const n = count(provision, 'count', 'provision.count', 1, MAX_PROVISION_COUNT) ?? 1;
  const group = groups.get(nodeGroup);
  if (!group) {
    // replisdk's no_group_found body (platform/framework/actix/mod.rs), with the error flag of every other error.
    throw new ReplicanteError(400, 'provision.node_group_id is not defined in cluster.nodes', { defined_node_groups: [...groups.keys()], node_group_id: nodeGroup });
  }
  const version = group.version ?? clusterVersion;
  if (!version) throw badAttribute('cluster.store_version', `is required (or cluster.nodes.${nodeGroup}.store_version)`);
  return { clusterId, store, version, nodeGroup, nodeClass: group.nodeClass, count: n, attributes: { ...clusterAttributes, ...group.attributes } };
}

export function parseDeprovision(body: unknown): DeprovisionRequest {
  if (!isObject(body)) throw new ReplicanteError(400, 'the request body must be a JSON object with cluster_id and node_id');
  return { clusterId: string(body, 'cluster_id', 'cluster_id'), nodeId: string(body, 'node_id', 'node_id') };
}
