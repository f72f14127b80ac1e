// The workload controller's incremental view of the tasks, kept up to date from the watch
// cache's events (every change, in order, synchronously): tasks by owning service, the tasks
// waiting for a machine, the deletions only this controller can finish, and each bound live
// task's resource request. A pass then costs what its dirty services own, not a scan of every
// task (rebuilding this per pass was most of the server's CPU at 40k tasks).
import { AGENT_FINALIZER, DEFAULT_NAMESPACE, keyIn, objectKey, templatePorts, type ResolvedPort, type Task } from '../model/index.js';
import { resourceRequest, type Cluster, type ResourceAmounts, type TaskView } from '../scheduler/index.js';
import { isLive } from './service-plan.js';

export class WorkloadIndex {
  // Keys are "namespace/name" (objectKey): a service "web" in two namespaces owns two sets of tasks.
  /** Owning service's key → its tasks by key (any phase). */
  private readonly byOwner = new Map<string, Map<string, Task>>();
  /** Live tasks not bound to a machine, by name. */
  readonly pending = new Map<string, Task>();
  /** Tasks being deleted that still carry the agent finalizer, by name. */
  readonly finalizing = new Map<string, Task>();
  /** Live tasks bound past the scheduler (spec.machine set by hand) whose ports are not allocated yet, by name. */
  readonly unallocated = new Map<string, Task>();
  /** Bound live tasks as the scheduler counts them, grouped by owning service ('' for none). */
  private readonly bound = new Map<string, Map<string, TaskView>>();
  /** The scheduler's usage of the bound tasks, kept current task by task while set. */
  usage: Cluster | undefined;

  /** `conflictsOf` gives a service's current conflict globs (the bound tasks carry them to the scheduler). */
  constructor(private readonly conflictsOf: (service: string) => string[] | undefined) {}

  /** Applies one change: `prev` is the object before it (undefined when added), `next` after (undefined when deleted). */
  change(prev: Task | undefined, next: Task | undefined): void {
    if (prev) this.remove(prev);
    if (next) this.add(next);
  }

  /** The tasks whose controlling owner is the service of key `service` (of any uid: the caller tells orphans apart). */
  owned(service: string): Task[] {
    const m = this.byOwner.get(service);
    return m ? [...m.values()] : [];
  }

  /**
   * A service's conflict globs changed (or it was created or deleted): its bound tasks carry
   * the new ones from now on, in the usage too. O(its tasks), not a rebuild of the usage.
   */
  conflictsChanged(service: string): void {
    const views = this.bound.get(service);
    if (views === undefined) return;
    const conflicts = this.conflictsOf(service);
    for (const v of views.values()) {
      this.usage?.removeTask(v);
      v.conflicts = conflicts;
      this.usage?.addTask(v);
    }
  }

  /** Bound live tasks for the scheduler, each carrying its service's current conflict globs. */
  *existing(): Generator<TaskView> {
    for (const views of this.bound.values()) yield* views.values();
  }

  private add(t: Task): void {
    const name = objectKey(t, true);
    const owner = ownerKey(t);
    if (owner !== undefined) {
      let m = this.byOwner.get(owner);
      if (!m) this.byOwner.set(owner, (m = new Map()));
      m.set(name, t);
    }
    if (t.metadata.deletionTimestamp && t.metadata.finalizers?.includes(AGENT_FINALIZER)) this.finalizing.set(name, t);
    if (!isLive(t) && !isScheduledUnit(t)) return;
    if (!t.spec.machine) {
      this.pending.set(name, t);
      return;
    }
    const key = owner ?? '';
    let views = this.bound.get(key);
    if (!views) this.bound.set(key, (views = new Map()));
    const view: TaskView = { name, service: ownerName(t), machine: t.spec.machine, request: templateRequest(t.spec.template), conflicts: owner === undefined ? undefined : this.conflictsOf(owner) };
    if (t.spec.ports?.length) view.ports = t.spec.ports;
    else if (templatePortsOf(t.spec.template).length && isLive(t)) this.unallocated.set(name, t);
    views.set(name, view);
    this.usage?.addTask(view);
  }

  private remove(t: Task): void {
    const name = objectKey(t, true);
    const owner = ownerKey(t);
    if (owner !== undefined) {
      const m = this.byOwner.get(owner);
      if (m?.delete(name) && m.size === 0) this.byOwner.delete(owner);
    }
    this.finalizing.delete(name);
    this.pending.delete(name);
    this.unallocated.delete(name);
    const key = owner ?? '';
    const views = this.bound.get(key);
    const view = views?.get(name);
    if (view === undefined) return;
    views!.delete(name);
    if (views!.size === 0) this.bound.delete(key);
    this.usage?.removeTask(view);
  }
}

/**
 * A unit that ended (a finished oneshot, a failed unit) stays scheduled on its machine until it
 * is unloaded, and fleet's engine counts it there: in the least-loaded choice and in Conflicts=
 * (engine/state.go agents(): every unit whose target state is not inactive).
 */
function isScheduledUnit(t: Task): boolean {
  // A Lost one is not: its machine is gone, and fleet reschedules what was there.
  return t.spec.template.driver === 'unit' && t.spec.machine !== undefined && t.metadata.deletionTimestamp === undefined && t.status?.phase !== 'Lost';
}

/** The service that controls the task, if one does (a job's tasks are the job controller's). */
export function ownerName(t: Task): string | undefined {
  const owner = t.metadata.ownerReferences?.find((r) => r.controller);
  return owner?.kind === 'Service' ? owner.name : undefined;
}

/** The key of a task's controlling service: a service of the task's namespace. */
export function ownerKey(t: Task): string | undefined {
  const name = ownerName(t);
  return name === undefined ? undefined : keyIn(t.metadata.namespace ?? DEFAULT_NAMESPACE, name);
}

// Cached objects are never mutated, so a parsed request can be kept per template object
// (re-parsing every task's quantities on every pass was ~6% of it).
const requests = new WeakMap<object, ResourceAmounts>();

/** A template's resource request; an unparseable one asks for nothing (validation rejects those on write). */
export function templateRequest(template: Task['spec']['template']): ResourceAmounts {
  let r = requests.get(template);
  if (!r) {
    try {
      r = resourceRequest(template.resources);
    } catch {
      r = { cpuMilli: 0, memoryBytes: 0 };
    }
    requests.set(template, r);
  }
  return r;
}

const ports = new WeakMap<object, ResolvedPort[]>();

/** A template's ports with their defaults (templatePorts), kept per cached template object. */
export function templatePortsOf(template: Task['spec']['template']): ResolvedPort[] {
  let p = ports.get(template);
  if (!p) ports.set(template, (p = templatePorts(template)));
  return p;
}
