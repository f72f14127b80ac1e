// What this agent knows of the cluster's datasets (the newest version of each its watch has
// delivered), which of them it is letting go (a move out has begun: no task may start on
// them), and which of its task runs use which dataset. The holder's "may I send it?" and a
// task's "may I start?" are both answered here, synchronously, so neither can slip in between
// the other's check and its action.
import { DEFAULT_NAMESPACE, type Dataset, type VolumeMount } from '../../model/index.js';

export const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? DEFAULT_NAMESPACE}/${name}`;
export const datasetKey = (ds: Dataset) => keyOf(ds.metadata.namespace, ds.metadata.name);

/** The datasets a task's volumes use, held here: their paths by dataset name; or why it must wait. */
export type Acquired = { paths: Map<string, string> } | { waiting: string };

export class LocalDatasets {
  private readonly objects = new Map<string, Dataset>();
  private readonly leaving = new Set<string>();
  private readonly uses = new Map<string, Set<string>>();
  private readonly releaseListeners: ((key: string) => void)[] = [];
  /** The first full list has been applied: until then "not here" may only mean "not known yet". */
  synced = false;

  constructor(readonly machine: string) {}

  /** Keeps `ds` unless a newer version is known already (an echo of an older write). Returns whether it was taken. */
  set(ds: Dataset): boolean {
    const key = datasetKey(ds);
    const had = this.objects.get(key);
    if (had && had.metadata.uid === ds.metadata.uid && had.metadata.revision > ds.metadata.revision) return false;
    this.objects.set(key, ds);
    return true;
  }

  get(key: string): Dataset | undefined {
    return this.objects.get(key);
  }

  delete(key: string): void {
    this.objects.delete(key);
  }

  byId(id: string): Dataset | undefined {
    for (const ds of this.objects.values()) if (ds.spec.id === id) return ds;
    return undefined;
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  /** Held here, usable: the live copy is on this machine, no move has begun, not deleted. */
  isUsable(key: string): boolean {
    const ds = this.objects.get(key);
    return !!ds && ds.status?.machine === this.machine && !ds.status.move && !ds.spec.deleted && ds.status.phase === 'Ready' && !this.leaving.has(key);
  }

  /** No task may start on it from now on (a move out is about to begin, or began before a restart). */
  markLeaving(key: string): void {
    this.leaving.add(key);
  }

  clearLeaving(key: string): void {
    this.leaving.delete(key);
  }

  isLeaving(key: string): boolean {
    return this.leaving.has(key);
  }

  /** The task runs (uids) using the dataset now. */
  usersOf(key: string): string[] {
    return [...(this.uses.get(key) ?? [])];
  }

  /** For a task about to start: every dataset its volumes name is usable here, and now counts it as a user; or why not. */
  acquire(uid: string, namespace: string | undefined, volumes: VolumeMount[]): Acquired {
    const paths = new Map<string, string>();
    for (const v of volumes) {
      const key = keyOf(namespace, v.dataset);
      if (!this.isUsable(key)) return { waiting: this.whyNotUsable(key, v.dataset) };
      paths.set(v.dataset, this.objects.get(key)!.status!.path!);
    }
    this.adopt(uid, namespace, volumes);
    return { paths };
  }

  /** A run found alive after a restart uses its datasets, whatever their state now. */
  adopt(uid: string, namespace: string | undefined, volumes: VolumeMount[]): void {
    for (const v of volumes) {
      const key = keyOf(namespace, v.dataset);
      let set = this.uses.get(key);
      if (!set) this.uses.set(key, (set = new Set()));
      set.add(uid);
    }
  }

  /** The run ended: it uses nothing any more. */
  release(uid: string): void {
    for (const [key, set] of this.uses) {
      if (!set.delete(uid)) continue;
      if (set.size === 0) this.uses.delete(key);
      for (const l of this.releaseListeners) l(key);
    }
  }

  onRelease(listener: (key: string) => void): void {
    this.releaseListeners.push(listener);
  }

  private whyNotUsable(key: string, name: string): string {
    const ds = this.objects.get(key);
    if (!ds) return this.synced ? `dataset "${name}" does not exist in the task's namespace` : `the agent has not listed the datasets yet`;
    if (ds.spec.deleted) return `dataset "${name}" is deleted`;
    const at = ds.status?.machine;
    if (!at) return `dataset "${name}" is not created yet (primary ${ds.spec.primary ?? 'none'})`;
    if (at !== this.machine) return `dataset "${name}" is on machine ${at}${ds.status?.move ? ` (moving to ${ds.status.move.to}: ${ds.status.move.phase})` : ''}; set its primary to this machine`;
    if (ds.status?.move || this.leaving.has(key)) return `dataset "${name}" is moving to machine ${ds.status?.move?.to ?? ds.spec.primary}`;
    return `dataset "${name}" is ${ds.status?.phase ?? 'Pending'} here`;
  }
}
