// /units: fleet's Unit resource over native Services. PUT follows fleet's api/units.go set():
// 415 unless one application/json Content-Type, 400 for an undecodable body, a name that differs
// from the URL or is not a unit name, 409 creating without options, 400 for options fleet
// refuses, 201 when the unit is created or its unit file changes (hash differs), 409 when an
// existing unit gets no desiredState, 400 activating a template, else 204.
import { ApiError } from '../../errors.js';
import {
  isFleetState,
  isUnitTemplateName,
  serviceFromUnit,
  toNativeState,
  type FleetState,
  type Service,
  type UnitOption,
} from '../../model/index.js';
import { fleetOptionsProblem, unitHash, unitNameProblem } from '../../units/index.js';
import type { FleetDoor } from './door.js';
import { isFleetUnit, unitOf, unitServices } from './model.js';
import { decodeBody, FleetError, goFields, goQuote, jsonTypeName, pageOf, pageTokenFrom } from './wire.js';

/** The fields of a PUT body fleet reads (schema.Unit), already type-checked. */
interface UnitInput {
  name: string;
  desiredState: string;
  options: UnitOption[];
}

export function listUnits(door: FleetDoor, query: URLSearchParams): unknown {
  const token = pageTokenFrom(query);
  const page = pageOf(unitServices(door), token);
  return { ...(page.next ? { nextPageToken: page.next } : {}), ...(page.items.length ? { units: page.items.map((s) => unitOf(door, s)) } : {}) };
}

/** The Service that is unit `name`, if there is one. */
async function findUnit(door: FleetDoor, name: string): Promise<Service | undefined> {
  let svc: Service | undefined;
  try {
    svc = await door.registry.kind<Service>('services', door.namespace).find(door.ctx, name);
  } catch (err) {
    // A name the native API cannot hold is no unit fleet knows.
    if (err instanceof ApiError && err.code === 400) return undefined;
    throw err;
  }
  return svc && isFleetUnit(svc) ? svc : undefined;
}

export async function getUnit(door: FleetDoor, name: string): Promise<unknown> {
  const svc = await findUnit(door, name);
  if (!svc) throw new FleetError(404, 'unit does not exist');
  return unitOf(door, svc);
}

export async function destroyUnit(door: FleetDoor, name: string): Promise<void> {
  const svc = await findUnit(door, name);
  if (!svc) throw new FleetError(404, 'unit does not exist');
  await door.registry.kind('services', door.namespace).delete(door.ctx, name, { uid: svc.metadata.uid });
}

/** PUT /units/{name}: 201 or 204. */
export async function setUnit(door: FleetDoor, item: string, body: Buffer | undefined): Promise<201 | 204> {
  const su = readUnit(body);
  if (su.name === '') su.name = item;
  if (su.name !== item) throw new FleetError(400, `name in URL ${goQuote(item)} differs from unit name in request body ${goQuote(su.name)}`);
  const nameProblem = unitNameProblem(su.name);
  if (nameProblem) throw new FleetError(400, nameProblem);

  const services = door.registry.kind<Service>('services', door.namespace);
  const existing = await services.find(door.ctx, su.name);
  const eu = existing && isFleetUnit(existing) ? existing : undefined;
  let replace = false;
  if (!eu) {
    if (su.options.length === 0) throw new FleetError(409, 'unit does not exist and options field empty');
    const problem = fleetOptionsProblem(su.options);
    if (problem) throw new FleetError(400, problem);
    replace = true;
  } else if (su.options.length > 0) {
    // fleet compares unit file hashes: the same options in the same order are the same unit.
    replace = unitHash(su.options) !== unitHash(eu.spec.template.unit ?? []);
    if (replace) {
      const problem = fleetOptionsProblem(su.options);
      if (problem) throw new FleetError(400, problem);
    }
  }

  if (replace) {
    // fleet's CreateUnit: the desired state is inactive unless the body says otherwise.
    const desired = su.desiredState === '' ? 'inactive' : checkState(su.desiredState);
    await writeService(door, su.name, su.options, desired, existing);
    return 201;
  }
  if (su.desiredState === '') throw new FleetError(409, 'must provide DesiredState to update existing unit');
  if (isUnitTemplateName(su.name) && su.desiredState !== 'inactive') throw new FleetError(400, `cannot activate template ${goQuote(su.name)}`);
  const desired = checkState(su.desiredState);
  await services.update(door.ctx, su.name, (cur) => {
    if (cur.spec.desiredState === toNativeState[desired]) return undefined;
    return { ...cur, spec: { ...cur.spec, desiredState: toNativeState[desired] } };
  });
  return 204;
}

function checkState(s: string): FleetState {
  if (!isFleetState(s)) throw new FleetError(400, `invalid value ${goQuote(s)} for JobState`);
  return s;
}

/** The body as Go decodes it into schema.Unit: unknown fields ignored, names matched without case. */
function readUnit(body: Buffer | undefined): UnitInput {
  let raw: unknown;
  try {
    raw = decodeBody(body);
  } catch (err) {
    if (err instanceof FleetError) throw new FleetError(400, `unable to decode body: ${err.message}`);
    throw err;
  }
  const out: UnitInput = { name: '', desiredState: '', options: [] };
  if (raw === null) return out;
  const bad = (v: unknown, field: string, type: string) =>
    new FleetError(400, `unable to decode body: json: cannot unmarshal ${jsonTypeName(v)} into Go struct field ${field} of type ${type}`);
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new FleetError(400, `unable to decode body: json: cannot unmarshal ${jsonTypeName(raw)} into Go value of type schema.Unit`);
  }
  const f = goFields(raw as Record<string, unknown>, ['currentState', 'desiredState', 'machineID', 'name', 'options']);
  for (const key of ['currentState', 'desiredState', 'machineID', 'name'] as const) {
    const v = f[key];
    if (v !== undefined && v !== null && typeof v !== 'string') throw bad(v, `Unit.${key}`, 'string');
  }
  out.name = (f.name as string | null) ?? '';
  out.desiredState = (f.desiredState as string | null) ?? '';
  const opts = f.options;
  if (opts !== undefined && opts !== null) {
    if (!Array.isArray(opts)) throw bad(opts, 'Unit.options', '[]*schema.UnitOption');
    for (const o of opts) {
      if (o === null) throw new FleetError(400, 'unit option must not be null');
      if (typeof o !== 'object' || Array.isArray(o)) throw bad(o, 'Unit.options', 'schema.UnitOption');
      const of = goFields(o as Record<string, unknown>, ['name', 'section', 'value']);
      for (const key of ['name', 'section', 'value'] as const) {
        const v = of[key];
        if (v !== undefined && v !== null && typeof v !== 'string') throw bad(v, `UnitOption.${key}`, 'string');
      }
      out.options.push({ section: (of.section as string | null) ?? '', name: (of.name as string | null) ?? '', value: (of.value as string | null) ?? '' });
    }
  }
  return out;
}

/** Creates or replaces the Service that is this unit (model's serviceFromUnit: the CLI makes the same one). */
async function writeService(door: FleetDoor, name: string, options: UnitOption[], desired: FleetState, existing: Service | undefined): Promise<void> {
  const services = door.registry.kind<Service>('services', door.namespace);
  const unit = serviceFromUnit(name, options, toNativeState[desired]);
  try {
    if (!existing) await services.create(door.ctx, unit);
    // A new unit file keeps the Service's own labels and annotations.
    else await services.update(door.ctx, name, (cur) => ({ ...cur, spec: unit.spec }), { uid: existing.metadata.uid });
  } catch (err) {
    if (err instanceof ApiError && err.code === 422) throw new FleetError(400, err.message);
    throw err;
  }
}
