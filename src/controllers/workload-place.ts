// Placing a pass's tasks: the ones its services create and the pending ones (unplaced earlier,
// or one-off), all in one call of the pure scheduler, so the pass's placements see each other.
// New tasks are created already bound (one write, not two); pending ones are bound by update.
import { AGENT_FINALIZER, DEFAULT_NAMESPACE, type EventType, type InvolvedObject, type Task } from '../model/index.js';
import { allocatePorts, DEFAULT_PORT_RANGE, placeTasks, portKey, type Cluster, type MachineView, type PlacementRequest, type PortRange } from '../scheduler/index.js';
import { setCondition } from './conditions.js';
import type { PassPlan } from './pass-plan.js';
import { templatePortsOf } from './workload-index.js';
import type { VolumeResolution } from './workload-volumes.js';

/** Records an event about a task (Scheduled, FailedScheduling). */
export type TaskEventRecorder = (task: InvolvedObject, type: EventType, reason: string, message: string) => void;

/**
 * `volumes`: the requests' datasets resolved (workload-volumes.ts); its requests replace `requests`.
 * `record`: told of each placement and of each task that cannot be placed, for a new reason only.
 */
export function placeAll(plan: PassPlan, requests: PlacementRequest[], pending: Map<string, Task>, machines: () => MachineView[], usage: () => Cluster, volumes?: VolumeResolution, portRange?: PortRange, record?: TaskEventRecorder): void {
  const asked = volumes?.requests ?? requests;
  if (asked.length === 0 && !volumes?.blocked.length) return;
  const result = asked.length ? placeTasks(asked, machines(), usage(), { portRange }) : { placements: [], unplaced: [] };
  if (volumes?.pins.size) result.unplaced = result.unplaced.map((u) => (volumes.pins.has(u.task) ? { ...u, reason: `${volumes.pins.get(u.task)}: ${u.reason}` } : u));
  if (volumes?.blocked.length) result.unplaced.push(...volumes.blocked);
  for (const p of result.placements) {
    const fresh = plan.creates.get(p.task);
    const task = fresh ?? pending.get(p.task)!;
    if (fresh || !task.spec.machine) record?.(involvedOf(task), 'Normal', 'Scheduled', `placed on machine ${p.machine}`);
    if (fresh) {
      fresh.spec.machine = p.machine;
      if (p.ports) fresh.spec.ports = p.ports;
      fresh.metadata.finalizers = [AGENT_FINALIZER];
      fresh.status = { phase: 'Scheduled' };
      continue;
    }
    plan.update(pending.get(p.task)!, (cur) =>
      cur.spec.machine
        ? undefined
        : {
            ...cur,
            metadata: { ...cur.metadata, finalizers: [...new Set([...(cur.metadata.finalizers ?? []), AGENT_FINALIZER])] },
            spec: { ...cur.spec, machine: p.machine, ...(p.ports ? { ports: p.ports } : {}) },
            status: {
              ...cur.status,
              phase: 'Scheduled',
              conditions: setCondition(cur.status?.conditions, { type: 'Scheduled', status: 'True', reason: 'Placed', message: `placed on ${p.machine}` }) ?? cur.status?.conditions,
            },
          },
    );
  }
  for (const u of result.unplaced) {
    const unschedulable = { type: 'Scheduled', status: 'False' as const, reason: 'Unschedulable', message: u.reason };
    const fresh = plan.creates.get(u.task);
    if (fresh) {
      fresh.status = { phase: 'Pending', conditions: setCondition(undefined, unschedulable) };
      record?.(involvedOf(fresh), 'Warning', 'FailedScheduling', u.reason);
      continue;
    }
    const t = pending.get(u.task)!;
    // Written only when it says something new: a task that stays unplaceable is not rewritten every pass.
    if (setCondition(t.status?.conditions, unschedulable) || t.status?.phase !== 'Pending') {
      record?.(involvedOf(t), 'Warning', 'FailedScheduling', u.reason);
      plan.update(t, (cur) => ({ ...cur, status: { ...cur.status, phase: 'Pending', conditions: setCondition(cur.status?.conditions, unschedulable) ?? cur.status?.conditions } }));
    }
  }
}

function involvedOf(t: Task): InvolvedObject {
  return { kind: 'Task', name: t.metadata.name, namespace: t.metadata.namespace ?? DEFAULT_NAMESPACE, ...(t.metadata.uid ? { uid: t.metadata.uid } : {}) };
}

/**
 * Ports for tasks bound past the scheduler (created with spec.machine, which tasks/bind allows):
 * their agents wait for them. Fixed ports are given as asked — whoever bound the task chose the
 * machine — and dynamic ones avoid every port in use there, this pass's allocations included.
 * A machine whose range is used up leaves the task waiting (its agent says so).
 */
export function allocateBound(plan: PassPlan, tasks: Iterable<Task>, usage: Cluster, portRange: PortRange = DEFAULT_PORT_RANGE): void {
  const given = new Map<string, Set<number>>();
  for (const t of tasks) {
    const machine = t.spec.machine!;
    const i = usage.index.get(machine);
    let mine = given.get(machine);
    if (!mine) given.set(machine, (mine = new Set(i === undefined ? [] : usage.portsOn[i])));
    let ports;
    try {
      ports = allocatePorts(mine, templatePortsOf(t.spec.template), portRange, t.metadata.name);
    } catch {
      continue;
    }
    for (const p of ports) mine.add(portKey(p.port, p.protocol));
    plan.update(t, (cur) => (cur.spec.ports?.length || cur.spec.machine !== machine ? undefined : { ...cur, spec: { ...cur.spec, ports } }));
  }
}
