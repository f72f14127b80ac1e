// The resource envelope every kind shares. Stored as JSON without metadata.revision: the
// revision is the store's modRevision, filled in when an object is read (as Kubernetes does
// with resourceVersion), so a write never has to know its own revision in advance.

export const API_VERSION = 'drover/v1';

export interface OwnerRef {
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name: string;
  /** The namespace of a namespaced kind's object (Service, Task); absent on cluster-wide kinds. */
  namespace?: string;
  uid: string;
  revision: number;
  generation: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  generateName?: string;
  deletionTimestamp?: string;
  ownerReferences?: OwnerRef[];
  finalizers?: string[];
}

export interface ApiObject<Spec = Record<string, unknown>, Status = Record<string, unknown>> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status: Status;
}

export type AnyObject = ApiObject<any, any>;

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** The object's controlling owner (a Service for its tasks), if any. */
export function controllerOf(obj: AnyObject): OwnerRef | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller);
}

/**
 * The label `key` of a map of labels: its own property only. A plain `labels[key]` finds
 * inherited ones ("constructor", "toString"…), so `-l constructor` matched every object.
 */
export function labelValue(labels: Record<string, string> | undefined, key: string): string | undefined {
  return labels !== undefined && Object.hasOwn(labels, key) ? labels[key] : undefined;
}

/** Where a namespaced object lives when none is given (Kubernetes' "default"). */
export const DEFAULT_NAMESPACE = 'default';

/**
 * An object's key within its kind: "namespace/name" for a namespaced kind, the name for a
 * cluster-wide one. Names never hold "/", so the key is unambiguous; it is also the store key's
 * tail (`/drover/services/{ns}/{name}`) and the watch cache's key.
 */
export function objectKey(obj: { metadata: { name: string; namespace?: string } }, namespaced: boolean): string {
  return namespaced ? `${obj.metadata.namespace ?? DEFAULT_NAMESPACE}/${obj.metadata.name}` : obj.metadata.name;
}

/** The key of `name` in `namespace` (undefined: a cluster-wide kind). */
export function keyIn(namespace: string | undefined, name: string): string {
  return namespace === undefined ? name : `${namespace}/${name}`;
}
