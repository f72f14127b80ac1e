// How the Flocker façade reaches the state: the registry, and the context of the request it serves.
import type { Registry, RequestContext } from '../../registry/index.js';

export interface FlockerDoor {
  registry: Registry;
  ctx: RequestContext;
  /** The namespace Flocker's datasets, leases and containers live in: Flocker has none. */
  namespace: string;
}
