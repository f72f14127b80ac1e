// The objects each owner controls, kept from a cache's events: a job's tasks, a cronjob's jobs.
// Keyed by the owner's key ("namespace/name") for one owner kind; the caller tells an earlier
// namesake's objects apart by uid.
import { controllerOf, DEFAULT_NAMESPACE, keyIn, objectKey, type AnyObject } from '../model/index.js';

export class OwnedIndex<T extends AnyObject> {
  private readonly byOwner = new Map<string, Map<string, T>>();

  constructor(private readonly ownerKind: string) {}

  /** The owner key of an object controlled by an owner of this kind, else undefined. */
  ownerKey(obj: T): string | undefined {
    const owner = controllerOf(obj);
    return owner?.kind === this.ownerKind ? keyIn(obj.metadata.namespace ?? DEFAULT_NAMESPACE, owner.name) : undefined;
  }

  /** Applies one change: `prev` before it (undefined when added), `next` after (undefined when deleted). */
  change(prev: T | undefined, next: T | undefined): void {
    if (prev) {
      const owner = this.ownerKey(prev);
      const m = owner === undefined ? undefined : this.byOwner.get(owner);
      if (m?.delete(objectKey(prev, true)) && m.size === 0) this.byOwner.delete(owner!);
    }
    if (next) {
      const owner = this.ownerKey(next);
      if (owner === undefined) return;
      let m = this.byOwner.get(owner);
      if (!m) this.byOwner.set(owner, (m = new Map()));
      m.set(objectKey(next, true), next);
    }
  }

  owned(owner: string): T[] {
    return [...(this.byOwner.get(owner)?.values() ?? [])];
  }

  owners(): string[] {
    return [...this.byOwner.keys()];
  }
}
