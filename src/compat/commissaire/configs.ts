// /api/v0/networks, /api/v0/network/{name}, /api/v0/containermanagers and
// /api/v0/containermanager/{name}: handlers/networks.py and container_managers.py, the same
// handler twice over Network and ContainerManager. A PUT of one that exists answers it (201)
// when type and options are the same, else 409.
import { isDeepStrictEqual } from 'node:util';
import { CONTAINER_MANAGER_TYPES, NETWORK_TYPES, type AnyObject } from '../../model/index.js';
import type { CommissaireDoor } from './door.js';
import { badRequest, conflict, notFound, optionalDict, optionalString } from './wire.js';

export interface ConfigKind {
  plural: 'networks' | 'containermanagers';
  types: readonly string[];
  /** The model's default type (C.NETWORK_TYPE_DEFAULT, C.CONTAINER_MANAGER_DEFAULT). */
  defaultType: string;
}

export const NETWORKS: ConfigKind = { plural: 'networks', types: NETWORK_TYPES, defaultType: 'flannel_etcd' };
export const CONTAINER_MANAGERS: ConfigKind = { plural: 'containermanagers', types: CONTAINER_MANAGER_TYPES, defaultType: 'openshift' };

interface ConfigRecord {
  name: string;
  type: string;
  options: Record<string, unknown>;
}

type Config = AnyObject & { spec: { type?: string; options?: Record<string, unknown> } };

function recordOf(kind: ConfigKind, o: Config): ConfigRecord {
  return { name: o.metadata.name, type: o.spec.type ?? kind.defaultType, options: o.spec.options ?? {} };
}

export function listConfigs(door: CommissaireDoor, kind: ConfigKind): string[] {
  return door.registry.kind<Config>(kind.plural).list(door.ctx).map((o) => o.metadata.name);
}

export async function getConfig(door: CommissaireDoor, kind: ConfigKind, name: string): Promise<ConfigRecord> {
  const found = await door.registry.kind<Config>(kind.plural).find(door.ctx, name);
  if (!found) throw notFound(`${kind.plural} "${name}" not found`);
  return recordOf(kind, found);
}

export async function createConfig(door: CommissaireDoor, kind: ConfigKind, name: string, params: Record<string, unknown>): Promise<ConfigRecord> {
  const wanted: ConfigRecord = { name, type: optionalString(params, 'type') ?? kind.defaultType, options: optionalDict(params, 'options') ?? {} };
  if (!kind.types.includes(wanted.type)) throw badRequest(`type must be one of the following: ${kind.types.join(', ')}`);
  const configs = door.registry.kind<Config>(kind.plural);
  const existing = await configs.find(door.ctx, name);
  if (existing) {
    const current = recordOf(kind, existing);
    if (!isDeepStrictEqual(current, wanted)) throw conflict(`a ${kind.plural} with the name "${name}" already exists`);
    return current;
  }
  return recordOf(kind, await configs.create(door.ctx, { metadata: { name }, spec: { type: wanted.type, options: wanted.options } }));
}

export async function deleteConfig(door: CommissaireDoor, kind: ConfigKind, name: string): Promise<[]> {
  await door.registry.kind<Config>(kind.plural).delete(door.ctx, name);
  return [];
}
