// Commissaire keys a host by its address; drover by a name. A host created here is named after
// its address when that is a valid name (every address Commissaire's routes accept is, but "."
// and ".."), else after a digest of it; lookups go by spec.address, so hosts created natively
// under other names are found too.
import { createHash } from 'node:crypto';
import type { Host } from '../../model/index.js';
import { nameProblem } from '../../registry/names.js';
import type { CommissaireDoor } from './door.js';

export function hostNameFor(address: string): string {
  return nameProblem(address) === undefined ? address : `host-${createHash('sha256').update(address).digest('hex').slice(0, 16)}`;
}

/** The Secret holding a host's SSH key (Commissaire's HostCreds). */
export function credentialsSecretFor(hostName: string): string {
  return `${hostName}-ssh`;
}

/** The host at `address`, as the caller may see it. */
export function hostAt(door: CommissaireDoor, address: string): Host | undefined {
  return door.registry.kind<Host>('hosts').list(door.ctx, { fields: [{ field: 'spec.address', op: '=', value: address }] })[0];
}

/** The members of a cluster (Commissaire's hostset), in host-name order. */
export function membersOf(door: CommissaireDoor, cluster: string): Host[] {
  return door.registry.kind<Host>('hosts').list(door.ctx, { fields: [{ field: 'spec.cluster', op: '=', value: cluster }] });
}
