// Namespace: a scope for the names of namespaced kinds (Services, Tasks), and the unit of
// permissions (RoleBindings) and quota. "default" exists from the start.
import type { ApiObject } from './meta.js';

/** What a namespace's tasks may ask for together; absent: no limit. */
export interface NamespaceQuota {
  /** cores (2) or millicores ("500m"), summed over the live tasks' requests. */
  cpu?: number | string;
  /** bytes, or with a suffix ("4Gi"), summed over the live tasks' requests. */
  memory?: number | string;
  /** live tasks (not finished). */
  tasks?: number;
}

export interface NamespaceSpec {
  quota?: NamespaceQuota;
}

export interface NamespaceStatus {
  phase?: 'Active' | 'Terminating';
  /** What the namespace's live tasks use of its quota, as the last quota check counted it. */
  used?: { cpuMilli: number; memoryBytes: number; tasks: number };
}

export type Namespace = ApiObject<NamespaceSpec, NamespaceStatus>;

/** A namespace's name: a DNS label, as Kubernetes (it becomes part of store keys and URLs). */
export function namespaceNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    return `invalid namespace "${name}": 1–63 characters of a-z, 0-9 and -, starting and ending with a letter or digit`;
  }
  return undefined;
}
