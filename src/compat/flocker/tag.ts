// X-Configuration-Tag: names one version of the configuration. Derived from the configuration's
// content (datasets as Flocker shows them, containers, leases), never from a store revision: a
// write that changes nothing (a repeated delete, a move to the same node) must leave it, and
// changes to objects Flocker does not show (a task's status) must not move it.
import { createHash } from 'node:crypto';
import type { Lease } from '../../model/index.js';
import { containerOf, containerServices } from './containers.js';
import { configurationOf, listDatasets } from './datasets.js';
import type { FlockerDoor } from './door.js';

/** Spelled as Flocker sends it (header names are case-insensitive, but some clients look it up verbatim). */
export const TAG_HEADER = 'X-Configuration-Tag';
export const IF_MATCHES_HEADER = 'x-if-configuration-matches';

export function configurationTag(door: FlockerDoor): string {
  const leases = door.registry
    .kind<Lease>('leases', door.namespace)
    .list(door.ctx)
    .map((l) => [l.metadata.name, l.spec.machine, l.spec.expiresAt ?? null])
    .sort();
  const content = JSON.stringify({
    datasets: listDatasets(door).map(configurationOf),
    containers: containerServices(door).map((s) => containerOf(s)),
    leases,
  });
  // 32 hex digits, as long as Flocker's own tags.
  return createHash('sha256').update(content).digest('hex').slice(0, 32);
}
