// How the fleet façade reaches the state: the registry, and the context of the request it serves.
import type { Registry, RequestContext } from '../../registry/index.js';

export interface FleetDoor {
  registry: Registry;
  ctx: RequestContext;
  /** The namespace fleet's units (Services) and their tasks live in: fleet has none. */
  namespace: string;
}
