// The workload controller: reconciles Services into Tasks and binds pending Tasks (one-off ones
// included) to machines. Each pass reconciles every queued service (workload-reconcile.ts),
// places all new and pending tasks together (workload-place.ts), then writes the pass's plan at
// once (pass-plan.ts), so the store's group commit turns a pass into a few transactions, and new
// tasks are created already bound (one write, not two). The tasks are seen through an index kept from the cache's events
// (WorkloadIndex), so a pass costs what its dirty services own plus, when it places anything,
// one walk over the bound tasks' requests.
import type { Logger } from 'pino';
import { AGENT_FINALIZER, controllerOf, DEFAULT_NAMESPACE, keyIn, MAINTENANCE_CONDITION, maintenancePhase, TASK_READY_CONDITION, type Constraints, type Dataset, type Job, type Machine, type Service, type Task } from '../model/index.js';
import { Cluster, globalPlacements, parseBytes, parseCpuMilli, type MachineView, type PlacementRequest, type PortRange } from '../scheduler/index.js';
import type { Liveness } from '../state/liveness.js';
import type { State } from '../state/state.js';
import type { Subscription } from '../state/watch-cache.js';
import { applyPlan, PassPlan } from './pass-plan.js';
import { TEMPLATE_HASH_LABEL } from './service-plan.js';
import { ownerKey, ownerName, templatePortsOf, templateRequest, WorkloadIndex } from './workload-index.js';
import { allocateBound, placeAll } from './workload-place.js';
import { placementView, resolveVolumes } from './workload-volumes.js';
import { PassQuotas, reportQuotaUsage } from './namespace-quota.js';
import { reconcileService, type ReconcileContext } from './workload-reconcile.js';
import { WorkQueue } from './work-queue.js';
import { serverEventRecorder } from './event-sink.js';
import type { EventRecorder } from '../events/recorder.js';

export { ownerName };

const ALL = '*';
const PENDING = 'pending';

export class WorkloadController {
  private readonly queue: WorkQueue;
  private readonly subs: Subscription[] = [];
  private unlisten?: () => void;
  private timer?: NodeJS.Timeout;
  private readonly index = new WorkloadIndex((svc) => pushesAway(this.state.resources<Service>('services').get(svc)));
  private readonly events: EventRecorder;
  /** The machines as the scheduler sees them; rebuilt only after a machine or liveness change. */
  private machineList?: MachineView[];

  constructor(
    private readonly state: State,
    private readonly liveness: Liveness,
    private readonly log: Logger,
    private readonly options: { portRange?: PortRange } = {},
  ) {
    this.queue = new WorkQueue((keys) => this.pass(keys), (err) => log.error({ err }, 'workload pass failed'));
    this.events = serverEventRecorder(state, 'workloads', log);
  }

  start(): void {
    const noop = () => {};
    this.subs.push(
      this.state.cache('services').subscribe(
        {},
        {
          send: (ev) => {
            // Bound tasks carry their service's conflicts to the scheduler: follow a change.
            const before = conflictsKey(ev.prev?.object as Service | undefined);
            if (before !== conflictsKey(ev.type === 'DELETED' ? undefined : (ev.entry.object as Service))) this.index.conflictsChanged(ev.key);
            this.queue.add(`svc:${ev.key}`);
          },
          bookmark: noop,
        },
      ),
      this.state.cache('tasks').subscribe(
        {},
        {
          send: (ev) => {
            const t = ev.entry.object as Task;
            this.index.change(ev.prev?.object as Task | undefined, ev.type === 'DELETED' ? undefined : t);
            // Agents report often (pids, unit states); only what the plan looks at queues a pass.
            if (ev.prev && !plannerRelevantChange(ev.prev.object as Task, t)) return;
            const owner = ownerKey(t) ?? (ev.prev ? ownerKey(ev.prev.object as Task) : undefined);
            if (owner) this.queue.add(`svc:${owner}`);
            if (!t.spec.machine || t.metadata.deletionTimestamp || this.index.unallocated.size) this.queue.add(PENDING);
          },
          bookmark: noop,
        },
      ),
      this.state.cache('datasets').subscribe(
        {},
        {
          send: (ev) => {
            // Tasks that mount a dataset wait for it to exist and have a primary: retry them when it changes.
            if (placementView(ev.prev?.object as Dataset | undefined) !== placementView(ev.type === 'DELETED' ? undefined : (ev.entry.object as Dataset))) this.queue.add(PENDING);
          },
          bookmark: noop,
        },
      ),
      this.state.cache('machines').subscribe(
        {},
        {
          send: (ev) => {
            // Conditions (Ready) and addresses change often and place nothing: each rebuild of
            // the usage costs O(tasks), and thousands of registering machines' Ready writes
            // trickling in during a big submit made every pass pay it.
            if (ev.type === 'MODIFIED' && ev.prev && schedulingView(ev.prev.object as Machine) === schedulingView(ev.entry.object as Machine)) return;
            this.machinesChanged();
          },
          bookmark: noop,
        },
      ),
    );
    this.unlisten = this.liveness.onChange(() => this.machinesChanged());
    this.queue.add(ALL);
    // Time passes without events: minReadySeconds ends, unplaceable tasks may fit now.
    this.timer = setInterval(() => this.queue.add(ALL), 5_000);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.events.close();
    for (const s of this.subs) s.close();
    this.unlisten?.();
    this.queue.close();
  }

  private machinesChanged(): void {
    this.machineList = undefined;
    this.index.usage = undefined;
    this.queue.add(ALL);
  }

  /** Resolves when no pass is running or queued (tests, benchmarks). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async pass(keys: string[]): Promise<void> {
    const services = this.state.resources<Service>('services');
    const tasks = this.state.resources<Task>('tasks');
    const all = keys.includes(ALL);
    // The bound tasks' usage over the machines, kept current as tasks change (built again only
    // after a machine or a service's conflicts changed); the scheduler forks it per call.
    const usage = () => (this.index.usage ??= new Cluster(this.machineViews(), this.index.existing()));
    const plan = new PassPlan();
    const quotas = new PassQuotas(this.state);
    const requests: PlacementRequest[] = [];
    const taken = new Set<string>();
    const ctx: ReconcileContext = {
      now: Date.now(),
      plan,
      requests,
      owned: (service) => this.index.owned(service),
      task: (key) => tasks.get(key),
      newTaskName: (svc) => this.newTaskName(svc, taken),
      globalPlacements: (svc) =>
        globalPlacements(
          { service: svc.metadata.name, request: templateRequest(svc.spec.template), constraints: svc.spec.constraints ?? {}, ports: templatePortsOf(svc.spec.template) },
          this.machineViews(),
          usage(),
          this.options,
        ),
      machineLabels: (machine) => {
        const m = this.state.cache('machines').get(machine)?.object;
        return m ? (m.metadata.labels ?? {}) : undefined;
      },
      retryAt: (service, at) => this.queue.addAt(`svc:${service}`, at),
      tasksOn: (machine) => tasks.list({ fields: [{ field: 'spec.machine', op: '=', value: machine }] }),
      quotaExcess: (task) => quotas.excess(task),
      // Replaces= names services of the replacing one's namespace.
      replaces: (namespace, service) => services.get(keyIn(namespace, service))?.spec.constraints?.replaces ?? [],
      record: (svc, type, reason, message) =>
        this.events.record({ kind: 'Service', name: svc.metadata.name, namespace: svc.metadata.namespace ?? DEFAULT_NAMESPACE, uid: svc.metadata.uid }, type, reason, message),
    };
    const serviceKeys = all ? services.list().map((s) => services.keyOf(s)) : keys.filter((k) => k.startsWith('svc:')).map((k) => k.slice(4));
    for (const key of new Set(serviceKeys)) reconcileService(key, services.get(key), ctx);

    for (const t of this.index.finalizing.values()) {
      if (!t.spec.machine || !this.liveness.isAlive(t.spec.machine)) {
        // No agent will ever stop it: finish the deletion here.
        plan.update(t, (cur) => ({ ...cur, metadata: { ...cur.metadata, finalizers: cur.metadata.finalizers?.filter((f) => f !== AGENT_FINALIZER) } }));
      }
    }
    // Pending tasks (unplaced earlier, or one-off) are placed in the same pass.
    const pending = new Map(this.index.pending);
    for (const [key, t] of pending) {
      const owner = ownerKey(t);
      const svc = owner ? services.get(owner) : undefined;
      const constraints = svc?.spec.constraints ?? this.jobConstraints(t) ?? {};
      requests.push({ task: key, service: ownerName(t), request: templateRequest(t.spec.template), constraints, strategy: svc?.spec.strategy, ports: templatePortsOf(t.spec.template) });
    }
    const datasets = this.state.resources<Dataset>('datasets');
    const volumes = resolveVolumes(requests, (key) => plan.creates.get(key) ?? pending.get(key), (key) => datasets.get(key));
    placeAll(plan, requests, pending, () => this.machineViews(), usage, volumes, this.options.portRange, (task, type, reason, message) => this.events.record(task, type, reason, message));
    if (this.index.unallocated.size) allocateBound(plan, this.index.unallocated.values(), usage(), this.options.portRange);
    await applyPlan(this.state, plan, (err) => this.log.warn({ err: String(err) }, 'workload write failed'));
    await reportQuotaUsage(this.state).catch((err) => this.log.warn({ err: String(err) }, 'namespace quota status write failed'));
  }

  /** The placement constraints of the job that controls a task, if one does. */
  private jobConstraints(t: Task): Constraints | undefined {
    const owner = controllerOf(t);
    if (owner?.kind !== 'Job') return undefined;
    const job = this.state.resources<Job>('jobs').get(keyIn(t.metadata.namespace ?? DEFAULT_NAMESPACE, owner.name));
    return job?.metadata.uid === owner.uid ? job.spec.constraints : undefined;
  }

  private machineViews(): MachineView[] {
    // The same array pass after pass until a machine changes: the scheduler keeps its
    // per-machine-list work (sorting, label classes, selector matches) keyed by it.
    return (this.machineList ??= ([...this.state.cache('machines').values()] as Machine[]).map((m) => {
      let allocatable = allocatables.get(m);
      if (!allocatable) {
        allocatable = {
          cpuMilli: quantity(() => parseCpuMilli(m.status?.allocatable?.cpu ?? Infinity)),
          memoryBytes: quantity(() => parseBytes(m.status?.allocatable?.memory ?? Infinity)),
        };
        allocatables.set(m, allocatable);
      }
      return {
        name: m.metadata.name,
        labels: m.metadata.labels ?? {},
        allocatable,
        // Rebuilt when a window opens or closes: the maintenance controller turns a condition then.
        schedulable: !m.spec?.unschedulable && !m.metadata.deletionTimestamp && this.liveness.isAlive(m.metadata.name) && maintenancePhase(m, Date.now()) !== 'active',
      };
    }));
  }



  /** A fresh name for a task of `svc`, free in its namespace and not taken in this pass. */
  private newTaskName(svc: Service, taken: Set<string>): string {
    const tasks = this.state.resources<Task>('tasks');
    const prefix = `${svc.metadata.name.slice(0, 240)}-`;
    const namespace = svc.metadata.namespace ?? DEFAULT_NAMESPACE;
    for (;;) {
      const name = tasks.generateName(prefix, namespace);
      const key = keyIn(namespace, name);
      if (!taken.has(key)) {
        taken.add(key);
        return name;
      }
    }
  }


}

/** What a task change must touch to matter to planning and placement (not pids or unit states). */
function plannerRelevantChange(before: Task, after: Task): boolean {
  return (
    before.status?.phase !== after.status?.phase ||
    before.status?.startedAt !== after.status?.startedAt ||
    before.metadata.generation !== after.metadata.generation ||
    before.spec.machine !== after.spec.machine ||
    before.metadata.deletionTimestamp !== after.metadata.deletionTimestamp ||
    before.metadata.finalizers?.length !== after.metadata.finalizers?.length ||
    before.metadata.labels?.[TEMPLATE_HASH_LABEL] !== after.metadata.labels?.[TEMPLATE_HASH_LABEL] ||
    ownerName(before) !== ownerName(after) ||
    before.status?.conditions?.length !== after.status?.conditions?.length ||
    readyOf(before) !== readyOf(after)
  );
}

/** The task's Ready condition as planning sees it: its status and when it last turned. */
function readyOf(t: Task): string {
  const c = t.status?.conditions?.find((x) => x.type === TASK_READY_CONDITION);
  return c ? `${c.status} ${c.lastTransitionTime ?? ''}` : '';
}

const allocatables = new WeakMap<object, MachineView['allocatable']>();

function quantity(parse: () => number): number {
  try {
    return parse();
  } catch {
    return Infinity;
  }
}

/** What of a machine the scheduler sees (besides liveness), as a string to compare. */
function schedulingView(m: Machine): string {
  const maintenance = m.status?.conditions?.find((c) => c.type === MAINTENANCE_CONDITION)?.status;
  return JSON.stringify([m.metadata.labels, m.status?.allocatable?.cpu, m.status?.allocatable?.memory, m.spec?.unschedulable, m.metadata.deletionTimestamp, m.spec?.maintenance, maintenance]);
}

function conflictsKey(svc: Service | undefined): string {
  return JSON.stringify(pushesAway(svc) ?? []);
}

/**
 * The globs of the services a service's tasks keep off their machine: its conflicts, and the
 * services it replaces (fleet's Replaces=: the replaced may not come back next to it, while the
 * replacing service itself may go where they run).
 */
function pushesAway(svc: Service | undefined): string[] | undefined {
  const c = svc?.spec.constraints;
  if (!c?.replaces?.length) return c?.conflicts;
  return [...(c.conflicts ?? []), ...c.replaces];
}

