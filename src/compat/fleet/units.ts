// /units: fleet's Unit resource over native Services. PUT follows fleet's api/units.go set():
// 415 unless one application/json Content-Type, 400 for an undecodable body, a name that differs
// from the URL or is not a unit name, 409 creating without options, 400 for options fleet
// refuses, 201 when the unit is created or its unit file changes (hash differs), 409 when an
// existing unit gets no desiredState, 400 activating a template, else 204.
import type { UnitOption } from '../../api/kinds/common.js';
import type { Kind } from '../../api/kinds/kind.js';
import { kinds } from '../../api/kinds/registry.js';
import { toObject } from '../../api/resources/objects.js';
import { ApiError } from '../../errors.js';
import type { AnyObject } from '../../state/object.js';
import type { State } from '../../state/state.js';
import { fleetConstraints, fleetMachineMatches, fleetOptionsProblem, unitHash, unitNameProblem } from '../../units/index.js';
import { isFleetState, isTemplateName, isUnitService, toNativeState, unitOf, unitServices, type FleetState } from './model.js';
import { FleetError, decodeBody, goFields, goQuote, jsonTypeName, pageOf, pageTokenFrom } from './wire.js';

const serviceKind = kinds.find((k) => k.plural === 'services') as Kind;

/** The fields of a PUT body fleet reads (schema.Unit), already type-checked. */
interface UnitInput {
  name: string;
  desiredState: string;
  options: UnitOption[];
}

export function listUnits(state: State, query: URLSearchParams): unknown {
  const token = pageTokenFrom(query);
  const page = pageOf(unitServices(state), token);
  return { ...(page.next ? { nextPageToken: page.next } : {}), ...(page.items.length ? { units: page.items.map((s) => unitOf(state, s)) } : {}) };
}

export function getUnit(state: State, name: string): unknown {
  const svc = state.resources('services').get(name);
  if (!svc || !isUnitService(svc)) throw new FleetError(404, 'unit does not exist');
  return unitOf(state, svc);
}

export async function destroyUnit(state: State, name: string): Promise<void> {
  const svc = state.resources('services').get(name);
  if (!svc || !isUnitService(svc)) throw new FleetError(404, 'unit does not exist');
  await state.resources('services').delete(name, { uid: svc.metadata.uid });
}

/** PUT /units/{name}: 201 or 204. */
export async function setUnit(state: State, item: string, body: Buffer | undefined): Promise<201 | 204> {
  const su = readUnit(body);
  if (su.name === '') su.name = item;
  if (su.name !== item) throw new FleetError(400, `name in URL ${goQuote(item)} differs from unit name in request body ${goQuote(su.name)}`);
  const nameProblem = unitNameProblem(su.name);
  if (nameProblem) throw new FleetError(400, nameProblem);

  const existing = state.resources('services').get(su.name);
  const eu = existing && isUnitService(existing) ? existing : undefined;
  let replace = false;
  if (!eu) {
    if (su.options.length === 0) throw new FleetError(409, 'unit does not exist and options field empty');
    const problem = fleetOptionsProblem(su.options);
    if (problem) throw new FleetError(400, problem);
    replace = true;
  } else if (su.options.length > 0) {
    // fleet compares unit file hashes: the same options in the same order are the same unit.
    replace = unitHash(su.options) !== unitHash(eu.spec.template.unit as UnitOption[]);
    if (replace) {
      const problem = fleetOptionsProblem(su.options);
      if (problem) throw new FleetError(400, problem);
    }
  }

  if (replace) {
    // fleet's CreateUnit: the desired state is inactive unless the body says otherwise.
    const desired = su.desiredState === '' ? 'inactive' : checkState(su.desiredState);
    await writeService(state, su.name, su.options, desired, existing);
    return 201;
  }
  if (su.desiredState === '') throw new FleetError(409, 'must provide DesiredState to update existing unit');
  if (isTemplateName(su.name) && su.desiredState !== 'inactive') throw new FleetError(400, `cannot activate template ${goQuote(su.name)}`);
  const desired = checkState(su.desiredState);
  await state.resources('services').update(su.name, (cur) => {
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

/** systemd's Restart= as the native restart policy (systemd's default is no restart). */
function restartPolicyOf(options: UnitOption[]): 'always' | 'on-failure' | 'never' {
  const restart = options.filter((o) => o.section === 'Service' && o.name === 'Restart').at(-1)?.value.trim();
  if (restart === 'always') return 'always';
  if (restart && restart.startsWith('on-')) return 'on-failure';
  return 'never';
}

/** Creates or replaces the Service that is this unit: template, constraints and desired state. */
async function writeService(state: State, name: string, options: UnitOption[], desired: FleetState, existing: AnyObject | undefined): Promise<void> {
  const template = isTemplateName(name);
  const rules = fleetConstraints(options, name);
  const constraints = { ...rules.constraints };
  if (constraints.machine !== undefined) constraints.machine = resolveMachine(state, constraints.machine);
  const spec = {
    // A template is stored for its instances to copy, and never scheduled.
    ...(rules.global && !template ? { global: true } : { replicas: 1 }),
    desiredState: template ? 'inactive' : toNativeState[desired],
    strategy: 'spread',
    template: { driver: 'unit', unit: options, restartPolicy: restartPolicyOf(options) },
    ...(Object.keys(constraints).length ? { constraints } : {}),
  };
  let obj: AnyObject;
  try {
    obj = toObject(serviceKind, { metadata: { name, labels: existing?.metadata.labels }, spec }, { name });
  } catch (err) {
    if (err instanceof ApiError) throw new FleetError(400, err.message);
    throw err;
  }
  const repo = state.resources('services');
  if (!existing) {
    await repo.create(obj);
    return;
  }
  await repo.update(name, (cur) => ({ ...cur, spec: obj.spec }), { uid: existing.metadata.uid });
}

/** fleet's MachineID= accepts a machine's short (8-character) ID: pin the one machine it names. */
function resolveMachine(state: State, required: string): string {
  const matches = state.resources('machines').list().filter((m) => fleetMachineMatches(m.metadata.name, required));
  return matches.length === 1 ? matches[0]!.metadata.name : required;
}
