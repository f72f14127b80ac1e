// ContainerManager: what a cluster registers its hosts with (Commissaire's ContainerManagerConfig).
// A member of a cluster that has one is "active"; without one it is "disassociated".
import type { ApiObject } from './meta.js';

export const CONTAINER_MANAGER_TYPES = ['openshift', 'trivial'] as const;
export type ContainerManagerType = (typeof CONTAINER_MANAGER_TYPES)[number];

export interface ContainerManagerSpec {
  /** Default openshift (Commissaire's default). */
  type?: ContainerManagerType;
  /** Free options for the type (openshift: {server_url, certificate_path, …}). */
  options?: Record<string, unknown>;
}

export type ContainerManager = ApiObject<ContainerManagerSpec, Record<string, never>>;
