// The workload controller: reconciles Services into Tasks and binds pending Tasks (one-off ones
// included) to machines. Each pass plans every queued service (pure: planService), places all
// new and pending tasks together (pure: placeTasks), then writes everything at once, so the
// store's group commit turns a pass into a few transactions, and new tasks are created already
// bound (one write, not two). The tasks are seen through an index kept from the cache's events
// (WorkloadIndex), so a pass costs what its dirty services own plus, when it places anything,
// one walk over the bound tasks' requests.
import type { Logger } from 'pino';
import { AGENT_FINALIZER, API_VERSION, TERMINAL_PHASES, type Machine, type Service, type Task } from '../model/index.js';
import { AlreadyExists, NotFound, PreconditionFailed } from '../errors.js';
import { Cluster, globalPlacements, parseBytes, parseCpuMilli, placeTasks, type MachineView, type PlacementRequest } from '../scheduler/index.js';
import type { Liveness } from '../state/liveness.js';
import type { State } from '../state/state.js';
import type { Subscription } from '../state/watch-cache.js';
import { setCondition } from './conditions.js';
import { isLive, planService, SERVICE_LABEL, TEMPLATE_HASH_LABEL, templateHash } from './service-plan.js';
import { ownerName, templateRequest, WorkloadIndex } from './workload-index.js';
import { WorkQueue } from './work-queue.js';

export { ownerName };

const ALL = '*';
const PENDING = 'pending';
/** Finished tasks kept per service as history. */
const KEEP_FINISHED = 5;
const MAX_IN_FLIGHT = 2_000;

export class WorkloadController {
  private readonly queue: WorkQueue;
  private readonly subs: Subscription[] = [];
  private unlisten?: () => void;
  private timer?: NodeJS.Timeout;
  private readonly index = new WorkloadIndex((svc) => this.state.resources<Service>('services').get(svc)?.spec.constraints?.conflicts);
  /** The machines as the scheduler sees them; rebuilt only after a machine or liveness change. */
  private machineList?: MachineView[];

  constructor(
    private readonly state: State,
    private readonly liveness: Liveness,
    private readonly log: Logger,
  ) {
    this.queue = new WorkQueue((keys) => this.pass(keys), (err) => log.error({ err }, 'workload pass failed'));
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
            if (before !== conflictsKey(ev.type === 'DELETED' ? undefined : (ev.entry.object as Service))) this.index.conflictsChanged(ev.name);
            this.queue.add(`svc:${ev.name}`);
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
            const owner = ownerName(t) ?? (ev.prev ? ownerName(ev.prev.object as Task) : undefined);
            if (owner) this.queue.add(`svc:${owner}`);
            if (!t.spec.machine || t.metadata.deletionTimestamp) this.queue.add(PENDING);
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
    const now = Date.now();
    const all = keys.includes(ALL);
    // The bound tasks' usage over the machines, kept current as tasks change (built again only
    // after a machine or a service's conflicts changed); the scheduler forks it per call.
    const usage = () => (this.index.usage ??= new Cluster(this.machineViews(), this.index.existing()));

    const writes: (() => Promise<unknown>)[] = [];
    const requests: PlacementRequest[] = [];
    const newTasks = new Map<string, Task>();
    const taken = new Set<string>();
    const names = all ? services.list().map((s) => s.metadata.name) : keys.filter((k) => k.startsWith('svc:')).map((k) => k.slice(4));

    for (const name of new Set(names)) {
      const svc = services.get(name);
      const ownedByName = this.index.owned(name);
      if (!svc || svc.metadata.deletionTimestamp) {
        for (const t of ownedByName) if (!t.metadata.deletionTimestamp) writes.push(() => this.deleteTask(t));
        continue;
      }
      // Tasks of an earlier service of the same name are orphans: a recreated service adopts nothing.
      const owned: Task[] = [];
      for (const t of ownedByName) {
        if (ownerUid(t) === svc.metadata.uid) owned.push(t);
        else if (!t.metadata.deletionTimestamp) writes.push(() => this.deleteTask(t));
      }
      for (const adoptee of this.adoptable(svc)) {
        // Counted as the service's own, current task from now on (the write lands after planning).
        owned.push(adopted(svc, adoptee));
        writes.push(() => this.adopt(svc, adoptee));
      }
      const request = templateRequest(svc.spec.template);
      let global: { machines: string[]; excluded: string | undefined } | undefined;
      if (svc.spec.global) {
        global = globalPlacements({ service: name, request, constraints: svc.spec.constraints ?? {} }, this.machineViews(), usage());
      }
      const plan = planService(svc, owned, { now, globalMachines: global?.machines, globalExcluded: global?.excluded });
      const hash = templateHash(svc.spec.template);
      for (const c of plan.create) {
        const taskName = this.newTaskName(name, taken);
        const task = newTask(svc, taskName, hash, plan.taskDesiredState);
        newTasks.set(taskName, task);
        requests.push({
          task: taskName,
          service: name,
          request,
          constraints: c.machine ? { ...svc.spec.constraints, machine: c.machine } : (svc.spec.constraints ?? {}),
          strategy: svc.spec.strategy,
        });
      }
      for (const t of plan.delete) writes.push(() => this.deleteTask(t));
      for (const t of plan.retarget) {
        writes.push(() =>
          this.updateTask(t, (cur) => ({ ...cur, spec: { ...cur.spec, desiredState: plan.taskDesiredState } })),
        );
      }
      // Finished tasks stay as history, a few per service.
      const finished = owned.filter((t) => TERMINAL_PHASES.has(t.status?.phase ?? '') && !t.metadata.deletionTimestamp);
      finished.sort((a, b) => (a.status?.finishedAt ?? '').localeCompare(b.status?.finishedAt ?? ''));
      const lost = finished.filter((t) => t.status?.phase === 'Lost');
      for (const t of new Set([...lost, ...finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))])) writes.push(() => this.deleteTask(t));
      if (withoutTimes(plan.status) !== withoutTimes(svc.status ?? {})) {
        writes.push(() =>
          services
            .update(name, (cur) => ({ ...cur, status: { ...plan.status, conditions: mergeConditions(cur.status?.conditions, plan.status.conditions) } }), { uid: svc.metadata.uid })
            .catch(ignoreGone),
        );
      }
    }

    for (const t of this.index.finalizing.values()) {
      if (!t.spec.machine || !this.liveness.isAlive(t.spec.machine)) {
        // No agent will ever stop it: finish the deletion here.
        writes.push(() => this.updateTask(t, (cur) => ({ ...cur, metadata: { ...cur.metadata, finalizers: cur.metadata.finalizers?.filter((f) => f !== AGENT_FINALIZER) } })));
      }
    }
    // Pending tasks (unplaced earlier, or one-off) are placed in the same pass.
    const pending = new Map(this.index.pending);
    for (const t of pending.values()) {
      const owner = ownerName(t);
      const svc = owner ? services.get(owner) : undefined;
      requests.push({
        task: t.metadata.name,
        service: owner,
        request: templateRequest(t.spec.template),
        constraints: svc?.spec.constraints ?? {},
        strategy: svc?.spec.strategy,
      });
    }

    const result = requests.length ? placeTasks(requests, this.machineViews(), usage()) : { placements: [], unplaced: [] };
    for (const p of result.placements) {
      const fresh = newTasks.get(p.task);
      if (fresh) {
        fresh.spec.machine = p.machine;
        fresh.metadata.finalizers = [AGENT_FINALIZER];
        fresh.status = { phase: 'Scheduled' };
      } else {
        const t = pending.get(p.task)!;
        writes.push(() =>
          this.updateTask(t, (cur) =>
            cur.spec.machine
              ? undefined
              : {
                  ...cur,
                  metadata: { ...cur.metadata, finalizers: [...new Set([...(cur.metadata.finalizers ?? []), AGENT_FINALIZER])] },
                  spec: { ...cur.spec, machine: p.machine },
                  status: { ...cur.status, phase: 'Scheduled', conditions: setCondition(cur.status?.conditions, { type: 'Scheduled', status: 'True', reason: 'Placed', message: `placed on ${p.machine}` }) ?? cur.status?.conditions },
                },
          ),
        );
      }
    }
    for (const u of result.unplaced) {
      const fresh = newTasks.get(u.task);
      const unschedulable = { type: 'Scheduled', status: 'False' as const, reason: 'Unschedulable', message: u.reason };
      if (fresh) {
        fresh.status = { phase: 'Pending', conditions: setCondition(undefined, unschedulable) };
      } else {
        const t = pending.get(u.task)!;
        const conditions = setCondition(t.status?.conditions, unschedulable);
        if (conditions || t.status?.phase !== 'Pending') {
          writes.push(() => this.updateTask(t, (cur) => ({ ...cur, status: { ...cur.status, phase: 'Pending', conditions: setCondition(cur.status?.conditions, unschedulable) ?? cur.status?.conditions } })));
        }
      }
    }
    for (const t of newTasks.values()) {
      writes.push(() =>
        tasks.create(t).catch((err) => {
          if (!(err instanceof AlreadyExists)) throw err; // the next pass makes another
        }),
      );
    }
    await runAll(writes, MAX_IN_FLIGHT, (err) => this.log.warn({ err: String(err) }, 'workload write failed'));
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
        schedulable: !m.spec?.unschedulable && !m.metadata.deletionTimestamp && this.liveness.isAlive(m.metadata.name),
      };
    }));
  }

  /** One-off tasks named in spec.adopt that are still running and have no owner. */
  private adoptable(svc: Service): Task[] {
    const tasks = this.state.resources<Task>('tasks');
    const out: Task[] = [];
    for (const name of svc.spec.adopt ?? []) {
      const t = tasks.get(name);
      if (t && !ownerName(t) && isLive(t)) out.push(t);
    }
    return out;
  }

  private adopt(svc: Service, t: Task): Promise<unknown> {
    return this.updateTask(t, (cur) => (ownerName(cur) ? undefined : adopted(svc, cur)));
  }

  private newTaskName(service: string, taken: Set<string>): string {
    const tasks = this.state.resources<Task>('tasks');
    const prefix = `${service.slice(0, 240)}-`;
    for (;;) {
      const name = tasks.generateName(prefix);
      if (!taken.has(name)) {
        taken.add(name);
        return name;
      }
    }
  }

  private deleteTask(t: Task): Promise<unknown> {
    return this.state.resources<Task>('tasks').delete(t.metadata.name, { uid: t.metadata.uid }).catch(ignoreGone);
  }

  private updateTask(t: Task, mutate: (cur: Task) => Task | undefined): Promise<unknown> {
    return this.state.resources<Task>('tasks').update(t.metadata.name, mutate, { uid: t.metadata.uid }).catch(ignoreGone);
  }
}

/** The task as its adopting service owns it: it counts as running the current template. */
function adopted(svc: Service, t: Task): Task {
  return {
    ...t,
    metadata: {
      ...t.metadata,
      labels: { ...t.metadata.labels, [SERVICE_LABEL]: svc.metadata.name, [TEMPLATE_HASH_LABEL]: templateHash(svc.spec.template) },
      ownerReferences: [{ kind: 'Service', name: svc.metadata.name, uid: svc.metadata.uid, controller: true }],
    },
  };
}

function newTask(svc: Service, name: string, hash: string, desiredState: 'running' | 'loaded'): Task {
  return {
    apiVersion: API_VERSION,
    kind: 'Task',
    metadata: {
      name,
      labels: { ...svc.metadata.labels, [SERVICE_LABEL]: svc.metadata.name, [TEMPLATE_HASH_LABEL]: hash },
      ownerReferences: [{ kind: 'Service', name: svc.metadata.name, uid: svc.metadata.uid, controller: true }],
    } as unknown as Task['metadata'],
    spec: { template: svc.spec.template, desiredState },
    status: {},
  };
}

function ownerUid(t: Task): string | undefined {
  return t.metadata.ownerReferences?.find((r) => r.controller)?.uid;
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
    before.status?.conditions?.length !== after.status?.conditions?.length
  );
}

const allocatables = new WeakMap<object, MachineView['allocatable']>();

function quantity(parse: () => number): number {
  try {
    return parse();
  } catch {
    return Infinity;
  }
}

function ignoreGone(err: unknown): void {
  if (err instanceof NotFound || err instanceof PreconditionFailed) return;
  throw err;
}

/** What of a machine the scheduler sees (besides liveness), as a string to compare. */
function schedulingView(m: Machine): string {
  return JSON.stringify([m.metadata.labels, m.status?.allocatable?.cpu, m.status?.allocatable?.memory, m.spec?.unschedulable, m.metadata.deletionTimestamp]);
}

function conflictsKey(svc: Service | undefined): string {
  return JSON.stringify(svc?.spec.constraints?.conflicts ?? []);
}

/** The status as JSON without condition timestamps, to tell whether a write would change anything. */
function withoutTimes(status: object): string {
  return JSON.stringify(status, (k, v) => (k === 'lastTransitionTime' ? undefined : v));
}

/** Keeps lastTransitionTime of conditions whose status did not change. */
function mergeConditions(
  current: NonNullable<Service['status']>['conditions'],
  next: NonNullable<Service['status']>['conditions'],
): NonNullable<Service['status']>['conditions'] {
  let out = current?.filter((c) => next?.some((n) => n.type === c.type));
  for (const c of next ?? []) out = setCondition(out, { type: c.type, status: c.status, reason: c.reason, message: c.message }) ?? out;
  return out;
}

async function runAll(jobs: (() => Promise<unknown>)[], limit: number, onError: (err: unknown) => void): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      try {
        await job();
      } catch (err) {
        onError(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
