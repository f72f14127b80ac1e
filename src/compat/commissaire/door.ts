// How the Commissaire façade reaches the state: the registry, as the caller of the request it serves.
import type { Registry, RequestContext } from '../../registry/index.js';

export interface CommissaireDoor {
  registry: Registry;
  ctx: RequestContext;
  /** Where the hosts' SSH key secrets live: Commissaire has no namespaces. */
  namespace: string;
}
