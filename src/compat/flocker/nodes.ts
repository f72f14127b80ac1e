// Flocker's nodes over native Machines. A node's UUID must be a version 4 UUID (Flocker's schema
// demands one of every node_uuid and primary), so a machine's is its 32-hex machine ID written
// 8-4-4-4-12 with the version and variant bits set: systemd's machine IDs already are v4 UUIDs
// and come out unchanged; other names are hashed first. Stable for as long as the machine is.
import { createHash } from 'node:crypto';
import { isMachineReady, type Machine } from '../../model/index.js';
import type { FlockerDoor } from './door.js';

const HEX32 = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The node UUID Flocker clients see for machine `name` (a UUID itself is kept as it is: a lease's node that never registered). */
export function nodeUuid(name: string): string {
  const lower = name.toLowerCase();
  if (UUID.test(lower)) return lower;
  const hex = HEX32.test(lower) ? lower : createHash('sha256').update(name).digest('hex').slice(0, 32);
  const version = `4${hex.slice(13, 16)}`;
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16) + hex.slice(17, 20);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${version}-${variant}-${hex.slice(20, 32)}`;
}

export function machines(door: FlockerDoor): Machine[] {
  return door.registry.kind<Machine>('machines').list(door.ctx);
}

/** The machine whose node UUID is `uuid` (any case), if one is registered. */
export function machineOfNode(door: FlockerDoor, uuid: string): Machine | undefined {
  const wanted = uuid.toLowerCase();
  return machines(door).find((m) => nodeUuid(m.metadata.name) === wanted);
}

/** GET /state/nodes: the machines whose agents are connected, and their addresses. */
export function listNodes(door: FlockerDoor): { host: string; uuid: string }[] {
  return machines(door)
    .filter((m) => isMachineReady(m) && m.status?.address)
    .map((m) => ({ host: m.status!.address!, uuid: nodeUuid(m.metadata.name) }));
}

/** GET /state/nodes/by_era/{era}: the node whose agent started with `era`. */
export function nodeByEra(door: FlockerDoor, era: string): { uuid: string } | undefined {
  const m = machines(door).find((x) => x.status?.era !== undefined && x.status.era.toLowerCase() === era.toLowerCase());
  return m && { uuid: nodeUuid(m.metadata.name) };
}
