// Machine: a host that runs tasks, registered by its agent under its 32-hex machine ID.
import type { ApiObject, Condition } from './meta.js';
import type { ResourceRequest } from './template.js';
import type { ResourceUsage } from './usage.js';

export interface MachineSpec {
  /** Cordoned: no new tasks are placed here. */
  unschedulable?: boolean;
  /** A maintenance window: drained at its start, unschedulable until its end. */
  maintenance?: MaintenanceWindow;
}

/**
 * A machine's maintenance window (RFC 3339 times). No start: from now on; no end: until the
 * window is removed. At the start the machine's service tasks move elsewhere; until the end no
 * task is placed there; after it, it takes tasks again.
 */
export interface MaintenanceWindow {
  start?: string;
  end?: string;
  reason?: string;
}

export interface MachineStatus {
  hostname?: string;
  address?: string;
  agentVersion?: string;
  /** URL the server uses to reach the agent (logs, exec). */
  agentEndpoint?: string;
  capacity?: ResourceRequest;
  allocatable?: ResourceRequest;
  lastHeartbeat?: string;
  conditions?: Condition[];
  faultDomain?: { region?: string; zone?: string };
  /** CPU and memory in use on the whole machine (its tasks and everything else), as its agent last measured them. */
  usage?: ResourceUsage;
  /** A random UUID the agent picks each time it starts (Flocker's era): a new one means the agent restarted. */
  era?: string;
  /** The dataset backends this machine offers (an agent that cannot loop-mount offers only directory). */
  datasetBackends?: string[];
}

export type Machine = ApiObject<MachineSpec, MachineStatus>;

/** The condition an agent's heartbeats keep True. */
export const READY_CONDITION = 'Ready';

export function isMachineReady(m: Machine | undefined): boolean {
  return m?.status?.conditions?.some((c) => c.type === READY_CONDITION && c.status === 'True') ?? false;
}

/** The condition the maintenance controller keeps True while a machine's window is open. */
export const MAINTENANCE_CONDITION = 'Maintenance';

/** Where `now` stands in the machine's maintenance window: none, before it, in it, or past it. */
export function maintenancePhase(m: Machine | undefined, now: number): 'none' | 'scheduled' | 'active' | 'over' {
  const w = m?.spec?.maintenance;
  if (!w) return 'none';
  if (w.start && now < Date.parse(w.start)) return 'scheduled';
  if (w.end && now >= Date.parse(w.end)) return 'over';
  return 'active';
}

/**
 * Whether `required` names machine `id`: its full ID or, as fleet's MachineID= allows
 * (machine/state.go MatchID), the first 8 characters of it.
 */
export function matchesMachineId(id: string, required: string): boolean {
  return id === required || (id.length > 8 ? id.slice(0, 8) : id) === required;
}

/** The one machine of `ids` that `pin` names (see matchesMachineId), or undefined when none or several do. */
export function resolveMachineId(ids: Iterable<string>, pin: string): string | undefined {
  let found: string | undefined;
  for (const id of ids) {
    if (id === pin) return id;
    if (matchesMachineId(id, pin)) {
      if (found !== undefined) return undefined;
      found = id;
    }
  }
  return found;
}
