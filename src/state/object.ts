// The resource envelope every kind shares. Stored as JSON without metadata.revision: the
// revision is the store's modRevision, filled in when an object is read (as Kubernetes does
// with resourceVersion), so a write never has to know its own revision in advance.

export interface OwnerRef {
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name: string;
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

/** What the state layer needs to know about a kind: where it lives and which fields it indexes. */
export interface KindInfo {
  kind: string;
  plural: string;
  /** Field paths (e.g. "spec.machine") → value getters, usable in field selectors. */
  fields: Record<string, (obj: AnyObject) => string | undefined>;
  /** Fields whose watchers and lists are indexed (each must be in `fields`). */
  indexes?: string[];
}
