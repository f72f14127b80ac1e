// What a service needs done, as a pure function of the service and the tasks it owns: tasks to
// create (with the current template), tasks to delete, tasks whose desired state must change,
// and the status to report. Rolling updates follow maxSurge/maxUnavailable/minReadySeconds the
// way Kubernetes Deployments do: new tasks up to the surge, old ones down while enough are ready.
import { createHash } from 'node:crypto';
import { TERMINAL_PHASES, type Condition, type Service, type Task } from '../model/index.js';

export const TEMPLATE_HASH_LABEL = 'drover.io/template-hash';
export const SERVICE_LABEL = 'drover.io/service';

export interface ServicePlan {
  /** Tasks to create with the current template; `machine` pins one (global services). */
  create: { machine?: string }[];
  delete: Task[];
  /** Tasks whose spec.desiredState must become `taskDesiredState`. */
  retarget: Task[];
  taskDesiredState: 'running' | 'loaded';
  status: NonNullable<Service['status']>;
}

export interface PlanContext {
  now: number;
  /** For global services: the machines that should each run one task (scheduler's globalPlacements). */
  globalMachines?: string[];
  /** Why some machines are not eligible (global services), for the status. */
  globalExcluded?: string;
}

export function templateHash(template: unknown): string {
  return createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 10);
}

/** Tasks that count: not finished, not lost, not being deleted. */
export function isLive(t: Task): boolean {
  return !TERMINAL_PHASES.has(t.status?.phase ?? '') && t.metadata.deletionTimestamp === undefined;
}

export function isReady(t: Task, now: number, minReadySeconds: number): boolean {
  if (t.status?.phase !== 'Running') return false;
  if (!minReadySeconds) return true;
  const since = t.status.startedAt ? Date.parse(t.status.startedAt) : now;
  return now - since >= minReadySeconds * 1000;
}

function resolveCount(v: number | string | undefined, total: number, roundUp: boolean, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  const pct = Number(v.slice(0, -1)) / 100;
  return roundUp ? Math.ceil(total * pct) : Math.floor(total * pct);
}

export function planService(svc: Service, owned: Task[], ctx: PlanContext): ServicePlan {
  const spec = svc.spec;
  const hash = templateHash(spec.template);
  const taskDesiredState = spec.desiredState === 'loaded' ? 'loaded' : 'running';
  const live = owned.filter(isLive);
  const minReady = spec.update?.minReadySeconds ?? 0;
  const ready = (t: Task) => isReady(t, ctx.now, minReady);
  const isNew = (t: Task) => t.metadata.labels?.[TEMPLATE_HASH_LABEL] === hash;
  const plan: ServicePlan = { create: [], delete: [], retarget: [], taskDesiredState, status: {} };

  if (spec.desiredState === 'inactive') {
    plan.delete = live;
    plan.status = status(svc, 0, live, 0, 0, 'inactive', []);
    return plan;
  }
  plan.retarget = live.filter((t) => (t.spec.desiredState ?? 'running') !== taskDesiredState);

  const newTasks = live.filter(isNew);
  const oldTasks = live.filter((t) => !isNew(t));
  const order = (a: Task, b: Task) => rank(a, ready) - rank(b, ready) || (a.metadata.name < b.metadata.name ? 1 : -1);

  if (spec.global) {
    const eligible = new Set(ctx.globalMachines ?? []);
    const covered = new Set<string>();
    for (const t of [...newTasks, ...oldTasks]) {
      const m = t.spec.machine;
      if (!m || !eligible.has(m) || covered.has(m)) plan.delete.push(t);
      else covered.add(m);
    }
    for (const m of eligible) if (!covered.has(m)) plan.create.push({ machine: m });
    // Rolling update, machine by machine: replacing an unready old task costs nothing; a ready
    // one only while fewer than maxUnavailable machines lack a ready task.
    if (!spec.paused) {
      const maxUnavailable = Math.max(1, resolveCount(spec.update?.maxUnavailable, eligible.size, false, 1));
      const unavailable = [...covered].filter((m) => !live.some((t) => t.spec.machine === m && ready(t))).length;
      let budget = maxUnavailable - unavailable;
      for (const t of oldTasks.filter((t) => !plan.delete.includes(t)).sort(order)) {
        const isReady = ready(t);
        if (isReady && budget <= 0) continue;
        plan.delete.push(t);
        plan.create.push({ machine: t.spec.machine });
        if (isReady) budget--;
      }
    }
    const desired = eligible.size;
    const conditions = ctx.globalExcluded ? [{ type: 'Eligible', status: 'False' as const, reason: 'Constraints', message: ctx.globalExcluded }] : [];
    plan.status = status(svc, desired, live, live.filter(ready).length, newTasks.length, stateOf(svc, desired, live, newTasks, ready), conditions);
    return plan;
  }

  const desired = spec.replicas ?? 1;
  if (oldTasks.length === 0) {
    if (newTasks.length < desired) for (let i = newTasks.length; i < desired; i++) plan.create.push({});
    // Sorted only when some must go: a steady service is planned on every report of its tasks.
    else if (newTasks.length > desired) plan.delete.push(...[...newTasks].sort(order).slice(0, newTasks.length - desired));
  } else if (spec.paused) {
    // A paused rollout only replaces what was lost.
    for (let i = live.length; i < desired; i++) plan.create.push({});
  } else {
    const maxSurge = resolveCount(spec.update?.maxSurge, desired, true, 1);
    let maxUnavailable = resolveCount(spec.update?.maxUnavailable, desired, false, 1);
    if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    const wantNew = Math.min(desired - newTasks.length, desired + maxSurge - live.length);
    for (let i = 0; i < wantNew; i++) plan.create.push({});
    // Old tasks go while at least desired - maxUnavailable tasks stay ready; unready ones cost nothing.
    let readyCount = live.filter(ready).length;
    const minAvailable = desired - maxUnavailable;
    const surplusNew = Math.max(0, newTasks.length - desired);
    plan.delete.push(...[...newTasks].sort(order).slice(0, surplusNew));
    let total = live.length - surplusNew;
    for (const t of [...oldTasks].sort(order)) {
      if (total <= desired - maxUnavailable && ready(t)) break;
      if (!ready(t)) {
        plan.delete.push(t);
        total--;
      } else if (readyCount - 1 >= minAvailable) {
        plan.delete.push(t);
        readyCount--;
        total--;
      }
    }
  }
  plan.status = status(svc, desired, live, live.filter(ready).length, newTasks.length, stateOf(svc, desired, live, newTasks, ready), []);
  return plan;
}

/** Deletion preference: unplaced first, then not ready, then the rest (newest names last kept). */
function rank(t: Task, ready: (t: Task) => boolean): number {
  if (!t.spec.machine) return 0;
  if (!ready(t)) return 1;
  return 2;
}

function stateOf(svc: Service, desired: number, live: Task[], newTasks: Task[], ready: (t: Task) => boolean): string {
  if (svc.spec.desiredState === 'loaded') return 'loaded';
  const updating = newTasks.length < live.length;
  if (updating) return svc.spec.paused ? 'paused' : 'updating';
  const readyCount = live.filter(ready).length;
  if (readyCount >= desired && live.length === desired) return 'running';
  if (live.some((t) => !t.spec.machine)) return 'pending';
  return readyCount < desired ? 'starting' : 'scaling';
}

function status(
  svc: Service,
  desired: number,
  live: Task[],
  readyCount: number,
  updated: number,
  state: string,
  extra: Condition[],
): NonNullable<Service['status']> {
  const conditions: Condition[] = [
    { type: 'Available', status: readyCount >= desired ? 'True' : 'False', reason: readyCount >= desired ? 'AllReady' : 'NotAllReady', message: `${readyCount}/${desired} tasks ready` },
    {
      type: 'Progressing',
      status: state === 'updating' || state === 'starting' || state === 'scaling' || state === 'pending' ? 'True' : 'False',
      reason: state,
      message: `${updated}/${desired} tasks run the current template`,
    },
    ...extra,
  ];
  const unplaced = live.find((t) => !t.spec.machine && t.status?.conditions?.some((c) => c.type === 'Scheduled' && c.status === 'False'));
  if (unplaced) {
    const c = unplaced.status!.conditions!.find((c) => c.type === 'Scheduled')!;
    conditions.push({ type: 'Unschedulable', status: 'True', reason: 'Unschedulable', message: c.message ?? '' });
  }
  return {
    observedGeneration: svc.metadata.generation,
    desiredReplicas: desired,
    replicas: live.length,
    readyReplicas: readyCount,
    updatedReplicas: updated,
    state,
    conditions,
  };
}
