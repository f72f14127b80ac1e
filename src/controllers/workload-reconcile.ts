// Reconciling one Service: what its tasks should be (planService, pure) turned into the pass's
// writes — tasks to create (handed to placement), tasks to delete or retarget, orphans of an
// earlier namesake, one-off tasks to adopt, finished history to prune, and its status.
import { goPathMatch } from '../model/glob.js';
import { API_VERSION, controllerOf, DEFAULT_NAMESPACE, keyIn, objectKey, TERMINAL_PHASES, type Service, type Task } from '../model/index.js';
import type { PlacementRequest } from '../scheduler/index.js';
import { setCondition } from './conditions.js';
import type { PassPlan } from './pass-plan.js';
import { isLive, planService, PROGRESS_DEADLINE_EXCEEDED, SERVICE_LABEL, TEMPLATE_HASH_LABEL, templateHash } from './service-plan.js';
import { ownerName, templatePortsOf, templateRequest } from './workload-index.js';

/** Finished tasks kept per service as history. */
const KEEP_FINISHED = 5;
/**
 * Tasks one pass creates for one service; the rest come in the next passes (Kubernetes'
 * burstReplicas). Keeps every pass short, so a scale-down or a delete is seen at once.
 */
const MAX_CREATES_PER_PASS = 500;

export interface ReconcileContext {
  now: number;
  plan: PassPlan;
  /** Placement requests of the tasks this pass creates. */
  requests: PlacementRequest[];
  /** The tasks a service owns, by the service's key (any uid: orphans are told apart here). */
  owned(service: string): Task[];
  /** A task by key ("namespace/name"), from the cache. */
  task(key: string): Task | undefined;
  /** A fresh task name for a task of `svc`, not taken in this pass. */
  newTaskName(svc: Service): string;
  /** For a global service: the machines that should each run one task, and why others are left out. */
  globalPlacements(svc: Service): { machines: string[]; excluded: string | undefined };
  /** A machine's labels (undefined when it is not registered). */
  machineLabels(machine: string): Record<string, string> | undefined;
  /** Plan the service of key `service` again at `at` (ms since the epoch). */
  retryAt(service: string, at: number): void;
  /** The tasks bound to a machine. */
  tasksOn(machine: string): Task[];
  /** Why creating `task` would exceed its namespace's quota (counting this pass's creates), or undefined and counted. */
  quotaExcess(task: Task): string | undefined;
  /** The Replaces= globs of a service of a namespace (none when it does not exist). */
  replaces(namespace: string, service: string): string[];
  /** Records an event about the service (rollout steps); never fails. */
  record?(svc: Service, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** Plans `svc`, the service of key `key` ("namespace/name"; undefined or being deleted: its tasks go). */
export function reconcileService(key: string, svc: Service | undefined, ctx: ReconcileContext): void {
  const { plan } = ctx;
  const ownedByName = ctx.owned(key);
  if (!svc || svc.metadata.deletionTimestamp) {
    for (const t of ownedByName) if (!t.metadata.deletionTimestamp) plan.delete(t);
    return;
  }
  // Tasks of an earlier service of the same name are orphans: a recreated service adopts nothing.
  const owned: Task[] = [];
  for (const t of ownedByName) {
    if (ownerUid(t) === svc.metadata.uid) owned.push(t);
    else if (!t.metadata.deletionTimestamp) plan.delete(t);
  }
  for (const adoptee of adoptable(svc, ctx)) {
    // Counted as the service's own, current task from now on (the write lands after planning).
    owned.push(adopted(svc, adoptee));
    plan.update(adoptee, (cur) => (controllerOf(cur) ? undefined : adopted(svc, cur)));
  }
  const global = svc.spec.global ? ctx.globalPlacements(svc) : undefined;
  const result = planService(svc, owned, { now: ctx.now, globalMachines: global?.machines, globalExcluded: global?.excluded, machineLabels: ctx.machineLabels });
  if (result.retryAt !== undefined) ctx.retryAt(key, result.retryAt);
  if (result.create.length > MAX_CREATES_PER_PASS) {
    result.create = result.create.slice(0, MAX_CREATES_PER_PASS);
    ctx.retryAt(key, ctx.now);
  }
  const hash = templateHash(svc.spec.template);
  const request = templateRequest(svc.spec.template);
  let overQuota: string | undefined;
  for (const c of result.create) {
    const task = newTask(svc, ctx.newTaskName(svc), hash, result.taskDesiredState);
    overQuota = ctx.quotaExcess(task);
    if (overQuota) break; // the rest wait until the quota or the usage changes (passes run every few seconds)
    plan.create(task);
    ctx.requests.push({
      task: objectKey(task, true),
      service: svc.metadata.name,
      request,
      constraints: c.machine ? { ...svc.spec.constraints, machine: c.machine } : (svc.spec.constraints ?? {}),
      strategy: svc.spec.strategy,
      ports: templatePortsOf(svc.spec.template),
    });
  }
  if (overQuota) {
    const quotaCondition = { type: 'QuotaExceeded', status: 'True' as const, reason: 'QuotaExceeded', message: overQuota };
    result.status = { ...result.status, conditions: setCondition(result.status.conditions, quotaCondition) ?? result.status.conditions };
  }
  for (const t of result.delete) plan.delete(t);
  for (const t of replacedBy(svc, owned, ctx)) plan.delete(t);
  for (const t of result.retarget) plan.update(t, (cur) => ({ ...cur, spec: { ...cur.spec, desiredState: result.taskDesiredState } }));
  pruneHistory(owned, plan);
  recordSteps(svc, result.status, ctx);
  if (withoutTimes(result.status) !== withoutTimes(svc.status ?? {})) {
    plan.setServiceStatus(svc, (cur) => ({ ...cur, status: { ...result.status, conditions: mergeConditions(cur.status?.conditions, result.status.conditions) } }));
  }
}

/** Events for the rollout's steps: begun, each task more on the new template, done, and stuck past its deadline. */
function recordSteps(svc: Service, next: NonNullable<Service['status']>, ctx: ReconcileContext): void {
  if (!ctx.record) return;
  const before = svc.status?.conditions?.find((c) => c.type === 'Progressing');
  const after = next.conditions?.find((c) => c.type === 'Progressing');
  if (after?.reason === PROGRESS_DEADLINE_EXCEEDED && before?.reason !== PROGRESS_DEADLINE_EXCEEDED) ctx.record(svc, 'Warning', PROGRESS_DEADLINE_EXCEEDED, after.message ?? '');
  const was = svc.status?.state;
  if (next.state === 'updating' && was !== 'updating' && was !== 'paused') ctx.record(svc, 'Normal', 'RolloutStarted', `rolling out generation ${svc.metadata.generation}: ${next.updatedReplicas ?? 0}/${next.desiredReplicas ?? 0} tasks run the new template`);
  // Each step between: one more task runs the new template (Kubernetes' ScalingReplicaSet, per step).
  if (was === 'updating' && (next.updatedReplicas ?? 0) > (svc.status?.updatedReplicas ?? 0)) {
    ctx.record(svc, 'Normal', 'RolloutStep', `generation ${svc.metadata.generation}: ${next.updatedReplicas}/${next.desiredReplicas ?? 0} tasks run the new template`);
  }
  if (was === 'updating' && next.state === 'running') ctx.record(svc, 'Normal', 'RolloutComplete', `${next.readyReplicas ?? 0}/${next.desiredReplicas ?? 0} tasks run the current template and are ready`);
}

/**
 * Tasks that `svc` pushes off its machines (fleet's Replaces=, engine/reconciler.go): the tasks
 * of the services it replaces on the machines where its own live tasks run. Their services
 * place them again elsewhere (the replaced may not go back next to the replacer). Services
 * that replace each other are left alone, as fleet does.
 */
function replacedBy(svc: Service, owned: Task[], ctx: ReconcileContext): Task[] {
  const globs = svc.spec.constraints?.replaces;
  if (!globs?.length) return [];
  const out: Task[] = [];
  for (const mine of owned) {
    if (!mine.spec.machine || !isLive(mine)) continue;
    for (const t of ctx.tasksOn(mine.spec.machine)) {
      const other = ownerName(t);
      const namespace = svc.metadata.namespace ?? DEFAULT_NAMESPACE;
      if (!other || (t.metadata.namespace ?? DEFAULT_NAMESPACE) !== namespace) continue;
      if (other === svc.metadata.name || !isLive(t) || !globs.some((g) => goPathMatch(g, other))) continue;
      if (ctx.replaces(namespace, other).some((g) => goPathMatch(g, svc.metadata.name))) continue;
      out.push(t);
    }
  }
  return out;
}

/** Finished tasks stay as history, a few per service; lost ones go at once. */
function pruneHistory(owned: Task[], plan: PassPlan): void {
  const finished = owned.filter((t) => TERMINAL_PHASES.has(t.status?.phase ?? '') && !t.metadata.deletionTimestamp);
  finished.sort((a, b) => (a.status?.finishedAt ?? '').localeCompare(b.status?.finishedAt ?? ''));
  const lost = finished.filter((t) => t.status?.phase === 'Lost');
  for (const t of new Set([...lost, ...finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))])) plan.delete(t);
}

/** One-off tasks named in spec.adopt that are still running and have no owner. */
function adoptable(svc: Service, ctx: ReconcileContext): Task[] {
  const out: Task[] = [];
  for (const name of svc.spec.adopt ?? []) {
    const t = ctx.task(keyIn(svc.metadata.namespace ?? DEFAULT_NAMESPACE, name));
    if (t && !controllerOf(t) && isLive(t)) out.push(t);
  }
  return out;
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
      namespace: svc.metadata.namespace ?? DEFAULT_NAMESPACE,
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

/** The status as JSON without condition timestamps, to tell whether a write would change anything. */
function withoutTimes(status: object): string {
  return JSON.stringify(status, (k, v) => (k === 'lastTransitionTime' ? undefined : v));
}

/** Keeps lastTransitionTime of conditions whose status did not change, unless the plan gives one (Progressing: when the rollout began). */
function mergeConditions(
  current: NonNullable<Service['status']>['conditions'],
  next: NonNullable<Service['status']>['conditions'],
): NonNullable<Service['status']>['conditions'] {
  let out = current?.filter((c) => next?.some((n) => n.type === c.type));
  for (const c of next ?? []) {
    out = setCondition(out, { type: c.type, status: c.status, reason: c.reason, message: c.message }) ?? out;
    if (c.lastTransitionTime) out = out!.map((o) => (o.type === c.type ? { ...o, lastTransitionTime: c.lastTransitionTime } : o));
  }
  return out;
}
