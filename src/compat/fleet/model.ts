// fleet's entities read from the native model: a Unit is a Service whose task template carries
// unit options, a UnitState is what an agent reports on one of its Tasks, a Machine is a Machine.
// Field order is the order of fleet's generated Go structs (schema/v1-gen.go), so the bytes match;
// empty fields are left out, as Go's `omitempty` does.
import { isMachineReady, MAINTENANCE_CONDITION, isUnitService, isUnitTemplateName, toFleetState, type AnyObject, type FleetState, type Machine, type Service, type Task, type UnitOption } from '../../model/index.js';
import { unitHash } from '../../units/index.js';
import type { FleetDoor } from './door.js';

export interface FleetUnitOption { name?: string; section?: string; value?: string }
export interface FleetUnit { currentState?: string; desiredState?: string; machineID?: string; name?: string; options?: FleetUnitOption[] }
export interface FleetUnitState {
  hash?: string; machineID?: string; name?: string; systemdActiveState?: string; systemdLoadState?: string; systemdSubState?: string;
}
export interface FleetMachine { id?: string; metadata?: Record<string, string>; primaryIP?: string }

/** Drops keys whose value is empty, as Go's omitempty: "", [], {} and undefined. */
function omitEmpty<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out as T;
}

export function fleetOption(o: UnitOption): FleetUnitOption {
  return omitEmpty({ name: o.name, section: o.section, value: o.value });
}

/** fleet knows a Service as a unit while it is one (see isUnitService) and is not being deleted. */
export function isFleetUnit(svc: Service): boolean {
  return isUnitService(svc) && !svc.metadata.deletionTimestamp;
}

/** The live tasks a Service owns (by uid: a recreated namesake does not inherit them). */
export function tasksOf(door: FleetDoor, svc: AnyObject): Task[] {
  return door.registry
    .kind<Task>('tasks', door.namespace)
    .list(door.ctx, { fields: [{ field: 'metadata.owner', op: '=', value: svc.metadata.name }] })
    .filter((t) => t.metadata.ownerReferences?.some((r) => r.uid === svc.metadata.uid) && !t.metadata.deletionTimestamp)
    .filter((t) => t.status?.phase !== 'Lost');
}

/**
 * Where fleet has a unit and in which state, as fleet's registry determines it
 * (registry/job_state.go determineJobState): inactive until the machine it is scheduled on has
 * reported a unit state, loaded once it has, launched while that machine's agent runs it as
 * launched (its desired state is running and the machine is alive) — whatever the unit's
 * process is doing: a failed unit is still launched, as in fleet.
 */
function currentOf(door: FleetDoor, svc: Service, tasks: Task[]): { currentState: FleetState; machineID?: string } {
  const placed = tasks.find((t) => t.spec.machine);
  if (!placed) return { currentState: 'inactive' };
  const machineID = placed.spec.machine!;
  if (!placed.status?.unitState) return { currentState: 'inactive', machineID };
  const wantsRunning = (svc.spec.desiredState ?? 'running') === 'running' && (placed.spec.desiredState ?? 'running') === 'running';
  const [machine] = door.registry.kind<Machine>('machines').list(door.ctx, { name: machineID });
  return { currentState: wantsRunning && isMachineReady(machine) ? 'launched' : 'loaded', machineID };
}

export function unitOf(door: FleetDoor, svc: Service): FleetUnit {
  const spec = svc.spec;
  const options = (spec.template.unit ?? []).map(fleetOption);
  const desiredState = toFleetState[spec.desiredState ?? 'running'];
  // A global unit has no single machine: fleet leaves both fields out.
  const current: { currentState?: FleetState; machineID?: string } = spec.global ? {} : currentOf(door, svc, tasksOf(door, svc));
  return omitEmpty({ currentState: current.currentState, desiredState, machineID: current.machineID, name: svc.metadata.name, options });
}

export function unitServices(door: FleetDoor): Service[] {
  return door.registry.kind<Service>('services', door.namespace).list(door.ctx).filter(isFleetUnit).sort(byName);
}

/** Every UnitState an agent has reported, ordered by unit name then machine ID. Templates never have one. */
export function unitStates(door: FleetDoor): FleetUnitState[] {
  const out: FleetUnitState[] = [];
  for (const svc of unitServices(door)) {
    if (isUnitTemplateName(svc.metadata.name)) continue;
    // One state per unit and machine, as systemd has one unit of a name: the newest task there.
    const byMachine = new Map<string, Task>();
    for (const t of tasksOf(door, svc)) {
      if (!t.spec.machine || !t.status?.unitState) continue;
      const seen = byMachine.get(t.spec.machine);
      if (!seen || seen.metadata.createdAt < t.metadata.createdAt) byMachine.set(t.spec.machine, t);
    }
    for (const [machineID, t] of byMachine) {
      const us = t.status.unitState!;
      out.push(
        omitEmpty({
          hash: unitHash((t.spec.template.unit ?? svc.spec.template.unit) as UnitOption[]),
          machineID,
          name: svc.metadata.name,
          systemdActiveState: us.active,
          systemdLoadState: us.load,
          systemdSubState: us.sub,
        }),
      );
    }
  }
  return out.sort((a, b) => cmp(a.name!, b.name!) || cmp(a.machineID!, b.machineID!));
}

/** A machine is in fleet's list while it is present: its agent heartbeats (Ready). */
export function isPresent(m: Machine): boolean {
  return isMachineReady(m);
}

/** The metadata key that marks a machine under maintenance in fleet's view. */
export const FLEET_MAINTENANCE_KEY = 'maintenance';

export function machineOf(m: Machine): FleetMachine {
  // A machine in a maintenance window is marked in its metadata, fleet's only free-form field
  // (fleetctl list-machines shows it); a label of that name set by someone wins.
  const inMaintenance = m.status?.conditions?.some((c) => c.type === MAINTENANCE_CONDITION && c.status === 'True');
  const labels = inMaintenance ? { [FLEET_MAINTENANCE_KEY]: m.spec?.maintenance?.end ? `until-${m.spec.maintenance.end}` : 'true', ...m.metadata.labels } : (m.metadata.labels ?? {});
  const metadata: Record<string, string> = {};
  // Go writes map keys sorted.
  for (const k of Object.keys(labels).sort(cmp)) metadata[k] = labels[k]!;
  return omitEmpty({ id: m.metadata.name, metadata, primaryIP: m.status?.address });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byName(a: AnyObject, b: AnyObject): number {
  return cmp(a.metadata.name, b.metadata.name);
}
