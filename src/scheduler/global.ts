// globalPlacements: which machines a global service (one task per eligible machine) should run on.
import { Cluster } from './cluster.js';
import { summarise, type Failure } from './reasons.js';
import type { GlobalRequest, GlobalResult, MachineView, PassOptions, TaskView } from './types.js';

/**
 * Every machine that satisfies the service's constraints, in name order. A machine that already
 * runs a task of the service stays eligible when it is unschedulable or short of resources (that
 * task's usage is already counted; a cordoned machine keeps what it runs), and the service's own
 * tasks never conflict with it. The controller creates a task where one is missing — as a
 * placeTasks request pinned to the machine, so the pass accounts for it — and removes the tasks
 * on machines left out.
 */
export function globalPlacements(request: GlobalRequest, machines: readonly MachineView[], existing: Iterable<TaskView> | Cluster, options: PassOptions = {}): GlobalResult {
  const cluster = new Cluster(machines, existing, request.constraints.conflicts ?? []);
  if (cluster.size === 0) return { machines: [], excluded: 'no machines are registered' };
  const ask = cluster.ask({ task: '', service: request.service, request: request.request, constraints: request.constraints, ports: request.ports }, options.portRange);
  const eligible: string[] = [];
  const failures: Failure[] = [];
  for (let i = 0; i < cluster.size; i++) {
    const f = cluster.check(i, ask, true);
    if (f === undefined) eligible.push(cluster.names[i]);
    else failures.push(f);
  }
  return {
    machines: eligible,
    excluded: failures.length === 0 ? undefined : `${eligible.length}/${cluster.size} machines eligible: ${summarise(failures, ask)}`,
  };
}
