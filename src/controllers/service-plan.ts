// What a service needs done, as a pure function of the service and the tasks it owns: tasks to
// create (with the current template), tasks to delete, tasks whose desired state must change,
// and the status to report (no spread of task lists into calls: a service of 100,000 tasks
// overflowed the stack). Rolling updates follow maxSurge/maxUnavailable/minReadySeconds the
// way Kubernetes Deployments do: new tasks up to the surge, old ones down while enough are ready.
//
// Two kinds of service differ in what a finished task means:
// - a native service keeps its replicas running: a finished task is replaced, backing off when
//   they keep crashing (crash-loop.ts);
// - a unit (systemd options, run by the unit driver) is what fleet and systemd make of it: it is
//   launched on a machine and systemd's Restart= decides what happens when its process ends. A
//   finished unit task stays where it ran (inactive/dead or failed/failed) and is replaced only
//   when the unit's desired state changes, on the same machine: no new tasks, no hopping.
import { createHash } from 'node:crypto';
import { isTaskReady, labelValue, TASK_READY_CONDITION, TEMPLATE_HASH_LABEL, TERMINAL_PHASES, type Condition, type Service, type Task } from '../model/index.js';
import { CRASH_RESET_MS, crashLoopOf, type CrashLoop } from './crash-loop.js';

export { SERVICE_LABEL, TEMPLATE_HASH_LABEL } from '../model/index.js';

export interface ServicePlan {
  /** Tasks to create with the current template; `machine` pins one (global services, units replaced in place). */
  create: { machine?: string }[];
  delete: Task[];
  /** Tasks whose spec.desiredState must become `taskDesiredState`. */
  retarget: Task[];
  taskDesiredState: 'running' | 'loaded';
  status: NonNullable<Service['status']>;
  /** Plan the service again at this time (ms since the epoch): a crash-loop backoff ends. */
  retryAt?: number;
}

export interface PlanContext {
  now: number;
  /** For global services: the machines that should each run one task (scheduler's globalPlacements). */
  globalMachines?: string[];
  /** Why some machines are not eligible (global services), for the status. */
  globalExcluded?: string;
  /** A machine's labels, to move tasks off machines that no longer match the service's selector. */
  machineLabels?: (machine: string) => Record<string, string> | undefined;
}

export function templateHash(template: unknown): string {
  return createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 10);
}

/** Tasks that count: not finished, not lost, not being deleted. */
export function isLive(t: Task): boolean {
  return !TERMINAL_PHASES.has(t.status?.phase ?? '') && t.metadata.deletionTimestamp === undefined;
}

/**
 * Ready: ready (isTaskReady: running, and its readiness checks passing) for minReadySeconds, counted
 * from when its Ready condition last turned True (a task without checks: from when it started),
 * and without restarting. A task its agent restarted must run for a while first (as long as it
 * takes the agent to stop backing off), so a crash-looping task that happens to be up is never
 * counted ready.
 */
export function isReady(t: Task, now: number, minReadySeconds: number): boolean {
  if (!isTaskReady(t)) return false;
  const windowMs = Math.max(minReadySeconds * 1000, t.status.restarts ? CRASH_RESET_MS : 0);
  if (!windowMs) return true;
  const started = t.status.startedAt ? Date.parse(t.status.startedAt) : now;
  const readyAt = t.spec.template.checks?.length ? t.status.conditions?.find((c) => c.type === TASK_READY_CONDITION)?.lastTransitionTime : undefined;
  const since = Math.max(started, readyAt ? Date.parse(readyAt) : started);
  return now - since >= windowMs;
}

/** Kubernetes' default progressDeadlineSeconds. */
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
export const PROGRESS_DEADLINE_EXCEEDED = 'ProgressDeadlineExceeded';

/**
 * Whether the service's rollout (or start, or scale) has run past its progress deadline, counted
 * from when it began: the last spec change, else when Progressing last turned True. Once
 * exceeded it stays so until the spec changes or the rollout completes. Also when to look again.
 */
function deadlineOf(svc: Service, now: number): { isExceeded: boolean; startedAt: number; at: number } {
  const seconds = svc.spec.update?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
  const prev = svc.status?.conditions?.find((c) => c.type === 'Progressing');
  const isSameSpec = svc.status?.observedGeneration === svc.metadata.generation;
  const wasProgressing = prev && (prev.status === 'True' || prev.reason === PROGRESS_DEADLINE_EXCEEDED) && prev.lastTransitionTime;
  if (isSameSpec && prev?.reason === PROGRESS_DEADLINE_EXCEEDED) return { isExceeded: true, startedAt: now, at: now };
  const startedAt = isSameSpec && wasProgressing ? Date.parse(prev.lastTransitionTime!) : now;
  const at = startedAt + seconds * 1000;
  return { isExceeded: now >= at, startedAt, at };
}

/** Why the rollout is stuck, in the words of a new task that is not ready (its failing check and output). */
function stuckMessage(svc: Service, newTasks: Task[], ready: (t: Task) => boolean): string {
  const seconds = svc.spec.update?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
  const stuck = newTasks.find((t) => !ready(t) && t.status?.phase !== 'Running') ?? newTasks.find((t) => !ready(t));
  const head = `the rollout did not finish within ${seconds}s (progressDeadlineSeconds)`;
  if (!stuck) return `${head}: not enough tasks of the current template`;
  const cond = stuck.status?.conditions?.find((c) => c.type === TASK_READY_CONDITION && c.status === 'False');
  const why = stuck.status?.phase === 'Running' ? (cond?.message ?? 'not ready yet') : `${stuck.status?.phase ?? 'Pending'}${stuck.status?.message ? `: ${stuck.status.message}` : ''}`;
  return `${head}: task ${stuck.metadata.name} is not ready: ${why}`;
}

/** Whether a service runs as systemd units (fleet's semantics, see above). */
export function runsAsUnit(svc: Service): boolean {
  return Array.isArray(svc.spec.template.unit) && svc.spec.template.driver !== 'exec';
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
  const unit = runsAsUnit(svc);
  const isNew = (t: Task) => t.metadata.labels?.[TEMPLATE_HASH_LABEL] === hash;
  const plan: ServicePlan = { create: [], delete: [], retarget: [], taskDesiredState, status: {} };
  let live = owned.filter(isLive);
  // A unit's finished task still holds its place on its machine (see above).
  let settled = unit ? owned.filter((t) => isSettled(t)) : [];

  if (spec.desiredState === 'inactive') {
    plan.delete = [...live, ...settled];
    plan.status = status(svc, 0, [], 0, 0, 'inactive', []);
    return plan;
  }
  // A settled unit whose desired state changed (fleetctl stop, then start) starts over in place.
  for (const t of settled) {
    if ((t.spec.desiredState ?? 'running') === taskDesiredState && isNew(t)) continue;
    plan.delete.push(t);
    if (isNew(t)) plan.create.push({ machine: t.spec.machine });
  }
  settled = settled.filter((t) => !plan.delete.includes(t));
  /** Units started over in place: they count as present. */
  const inPlace = plan.create.length;
  // Tasks on machines whose labels no longer match the selector move (fleet's reconciler does the same).
  const misplaced = live.filter((t) => !fitsSelector(svc, t, ctx));
  for (const t of misplaced) plan.delete.push(t);
  live = live.filter((t) => !misplaced.includes(t));
  plan.retarget = live.filter((t) => (t.spec.desiredState ?? 'running') !== taskDesiredState);

  const minReady = spec.update?.minReadySeconds ?? 0;
  const ready = (t: Task) => isReady(t, ctx.now, minReady);
  const present = [...live, ...settled];
  const newTasks = present.filter(isNew);
  const oldTasks = live.filter((t) => !isNew(t));
  const order = (a: Task, b: Task) => rank(a, ready) - rank(b, ready) || (a.metadata.name < b.metadata.name ? 1 : -1);
  const crash = unit ? undefined : crashLoopOf(finishedOf(owned, hash), live.filter(isNew), ctx.now);
  const conditions: Condition[] = crash ? [crash.condition] : [];
  const deadline = deadlineOf(svc, ctx.now);

  if (spec.global) {
    const eligible = new Set(ctx.globalMachines ?? []);
    const covered = new Set<string>(plan.create.map((c) => c.machine!));
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
      // Past the progress deadline, ready old tasks stay: they serve while the new ones do not.
      if (deadline.isExceeded) budget = 0;
      for (const t of oldTasks.filter((t) => !plan.delete.includes(t)).sort(order)) {
        const isReady = ready(t);
        if (isReady && budget <= 0) continue;
        plan.delete.push(t);
        plan.create.push({ machine: t.spec.machine });
        if (isReady) budget--;
      }
    }
    const desired = eligible.size;
    if (ctx.globalExcluded) conditions.push({ type: 'Eligible', status: 'False', reason: 'Constraints', message: ctx.globalExcluded });
    backOff(plan, crash, ctx.now);
    plan.status = status(svc, desired, present, live.filter(ready).length, newTasks.length, stateOf(svc, desired, present, newTasks, ready, crash), conditions);
    progress(plan, svc, deadline, newTasks, ready);
    return plan;
  }

  const desired = spec.replicas ?? 1;
  if (oldTasks.length === 0) {
    if (newTasks.length + inPlace < desired) for (let i = newTasks.length + inPlace; i < desired; i++) plan.create.push({});
    // Sorted only when some must go: a steady service is planned on every report of its tasks.
    else if (newTasks.length > desired) for (const t of [...newTasks].sort(order).slice(0, newTasks.length - desired)) plan.delete.push(t);
  } else if (spec.paused) {
    // A paused rollout only replaces what was lost.
    for (let i = present.length + inPlace; i < desired; i++) plan.create.push({});
  } else {
    const maxSurge = resolveCount(spec.update?.maxSurge, desired, true, 1);
    let maxUnavailable = resolveCount(spec.update?.maxUnavailable, desired, false, 1);
    if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    const wantNew = Math.min(desired - newTasks.length - inPlace, desired + maxSurge - present.length - inPlace);
    for (let i = 0; i < wantNew; i++) plan.create.push({});
    // Old tasks go while at least desired - maxUnavailable tasks stay ready; unready ones cost nothing.
    let readyCount = live.filter(ready).length;
    const minAvailable = desired - maxUnavailable;
    const surplusNew = Math.max(0, newTasks.length - desired);
    for (const t of [...newTasks].sort(order).slice(0, surplusNew)) plan.delete.push(t);
    let total = present.length - surplusNew;
    for (const t of [...oldTasks].sort(order)) {
      if (total <= desired - maxUnavailable && ready(t)) break;
      if (!ready(t)) {
        plan.delete.push(t);
        total--;
      } else if (readyCount - 1 >= minAvailable && !deadline.isExceeded) {
        // Past the progress deadline, ready old tasks stay: they serve while the new ones do not.
        plan.delete.push(t);
        readyCount--;
        total--;
      }
    }
  }
  backOff(plan, crash, ctx.now);
  plan.status = status(svc, desired, present, live.filter(ready).length, newTasks.length, stateOf(svc, desired, present, newTasks, ready, crash), conditions);
  progress(plan, svc, deadline, newTasks, ready);
  return plan;
}

/**
 * The Progressing condition against the deadline: True with the time the rollout began (a spec
 * change starts the clock again), or False with ProgressDeadlineExceeded and why; and a pass
 * planned for when the deadline falls.
 */
function progress(plan: ServicePlan, svc: Service, deadline: ReturnType<typeof deadlineOf>, newTasks: Task[], ready: (t: Task) => boolean): void {
  const conditions = plan.status.conditions ?? [];
  const i = conditions.findIndex((c) => c.type === 'Progressing');
  const cur = conditions[i];
  if (!cur || cur.status !== 'True') return;
  if (deadline.isExceeded) {
    const prev = svc.status?.conditions?.find((c) => c.type === 'Progressing');
    // The message is kept once written: the stuck task's words may change, the verdict does not.
    const message = prev?.reason === PROGRESS_DEADLINE_EXCEEDED && svc.status?.observedGeneration === svc.metadata.generation ? prev.message! : stuckMessage(svc, newTasks, ready);
    conditions[i] = { type: 'Progressing', status: 'False', reason: PROGRESS_DEADLINE_EXCEEDED, message };
    return;
  }
  conditions[i] = { ...cur, lastTransitionTime: new Date(deadline.startedAt).toISOString() };
  plan.retryAt = plan.retryAt === undefined ? deadline.at : Math.min(plan.retryAt, deadline.at);
}

/** While a crash loop backs off, nothing is created; the service is planned again when it ends. */
function backOff(plan: ServicePlan, crash: CrashLoop | undefined, now: number): void {
  if (crash?.blocked) plan.create = [];
  if (!crash?.retryAt || plan.create.length === 0) return;
  if (crash.retryAt > now) {
    plan.create = [];
    plan.retryAt = crash.retryAt;
  }
}

/** A unit task that ended on its machine (not lost, not being deleted). */
function isSettled(t: Task): boolean {
  const phase = t.status?.phase;
  return (phase === 'Succeeded' || phase === 'Failed') && !!t.spec.machine && t.metadata.deletionTimestamp === undefined;
}

/** The finished tasks of the current template, oldest first (for the crash loop). */
function finishedOf(owned: Task[], hash: string): Task[] {
  return owned
    .filter((t) => (t.status?.phase === 'Failed' || t.status?.phase === 'Succeeded') && t.metadata.labels?.[TEMPLATE_HASH_LABEL] === hash)
    .sort((a, b) => (a.status?.finishedAt ?? '').localeCompare(b.status?.finishedAt ?? ''));
}

/** Whether a bound task's machine still has the labels the service selects. */
function fitsSelector(svc: Service, t: Task, ctx: PlanContext): boolean {
  const selector = svc.spec.constraints?.machineSelector;
  if (!selector || !t.spec.machine || !ctx.machineLabels) return true;
  const labels = ctx.machineLabels(t.spec.machine);
  if (!labels) return true; // a machine that is gone is the node lifecycle's business
  for (const [key, want] of Object.entries(selector)) {
    const v = labelValue(labels, key);
    if (v === undefined || !(typeof want === 'string' ? [want] : want).includes(v)) return false;
  }
  return true;
}

/** Deletion preference: unplaced first, then not ready, then the rest (newest names last kept). */
function rank(t: Task, ready: (t: Task) => boolean): number {
  if (!t.spec.machine) return 0;
  if (!ready(t)) return 1;
  return 2;
}

function stateOf(svc: Service, desired: number, present: Task[], newTasks: Task[], ready: (t: Task) => boolean, crash: CrashLoop | undefined): string {
  if (svc.spec.desiredState === 'loaded') return 'loaded';
  const updating = newTasks.length < present.length;
  if (updating) return svc.spec.paused ? 'paused' : 'updating';
  if (crash) return crash.blocked ? 'failed' : 'crash-looping';
  const readyCount = present.filter(ready).length;
  if (readyCount >= desired && present.length === desired) return 'running';
  if (present.length > 0 && present.every((t) => TERMINAL_PHASES.has(t.status?.phase ?? ''))) {
    return present.some((t) => t.status?.phase === 'Failed') ? 'failed' : 'exited';
  }
  if (present.some((t) => !t.spec.machine)) return 'pending';
  return readyCount < desired ? 'starting' : 'scaling';
}

function status(
  svc: Service,
  desired: number,
  present: Task[],
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
  const unplaced = present.find((t) => !t.spec.machine && t.status?.conditions?.some((c) => c.type === 'Scheduled' && c.status === 'False'));
  if (unplaced) {
    const c = unplaced.status!.conditions!.find((c) => c.type === 'Scheduled')!;
    conditions.push({ type: 'Unschedulable', status: 'True', reason: 'Unschedulable', message: c.message ?? '' });
  }
  return {
    observedGeneration: svc.metadata.generation,
    desiredReplicas: desired,
    replicas: present.length,
    readyReplicas: readyCount,
    updatedReplicas: updated,
    state,
    conditions,
  };
}
