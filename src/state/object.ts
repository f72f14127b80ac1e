// What the state layer needs to know about objects and kinds. The envelope types are the
// model's; stored as JSON without metadata.revision (the store's modRevision is the revision).
import type { AnyObject } from '../model/index.js';

export type { AnyObject, ApiObject, ObjectMeta, OwnerRef } from '../model/index.js';

/** What the state layer needs to know about a kind: where it lives and which fields it indexes. */
export interface KindInfo {
  kind: string;
  plural: string;
  /** Objects live in a namespace (keyed "namespace/name"); else cluster-wide (keyed by name). */
  namespaced?: boolean;
  /** Field paths (e.g. "spec.machine") → value getters, usable in field selectors. */
  fields: Record<string, (obj: AnyObject) => string | undefined>;
  /** Fields whose watchers and lists are indexed (each must be in `fields`). */
  indexes?: string[];
}
