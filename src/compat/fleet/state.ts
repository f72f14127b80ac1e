// /state: fleet's UnitState resource, read from what agents report on Tasks. Filters take the
// first ?machineID= and ?unitName= value, as fleet does. Reference: fleet's api/state.go.
import type { FleetDoor } from './door.js';
import { unitStates } from './model.js';
import { FleetError, pageOf, pageTokenFrom } from './wire.js';

export function listStates(door: FleetDoor, query: URLSearchParams): unknown {
  const token = pageTokenFrom(query);
  const machineID = query.get('machineID') ?? '';
  const unitName = query.get('unitName') ?? '';
  const all = unitStates(door).filter((us) => (!machineID || us.machineID === machineID) && (!unitName || us.name === unitName));
  const page = pageOf(all, token);
  return { ...(page.next ? { nextPageToken: page.next } : {}), ...(page.items.length ? { states: page.items } : {}) };
}

export function getState(door: FleetDoor, name: string): unknown {
  const us = unitStates(door).find((s) => s.name === name);
  if (!us) throw new FleetError(404, 'unit state does not exist');
  return us;
}
