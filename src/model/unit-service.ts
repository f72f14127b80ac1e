// The one translation between a fleet unit file and a drover Service, used by every door a
// unit comes in by (the CLI's `drover unit`, fleet's PUT /units), so the same unit file always
// becomes the same Service: its options in spec.template.unit (run by the unit driver), its
// [X-Fleet] rules as constraints (or global), systemd's Restart= as the restart policy, and a
// template ("web@.service") stored inactive so it is never scheduled.
import { fleetConstraints } from '../units/xfleet.js';
import { parseUnitName } from '../units/names.js';
import { API_VERSION } from './meta.js';
import type { Service, ServiceDesiredState, ServiceSpec } from './service.js';
import type { RestartPolicy, TaskTemplate, UnitOption } from './template.js';

/** Marks a Service that holds a unit template (instances are made from it, it never runs). */
export const UNIT_TEMPLATE_ANNOTATION = 'drover.io/unit-template';

export type FleetState = 'inactive' | 'loaded' | 'launched';

/** fleet's job states as native desired states, and back. */
export const toNativeState: Record<FleetState, ServiceDesiredState> = { inactive: 'inactive', loaded: 'loaded', launched: 'running' };
export const toFleetState: Record<ServiceDesiredState, FleetState> = { inactive: 'inactive', loaded: 'loaded', running: 'launched' };

export function isFleetState(s: string): s is FleetState {
  return s === 'inactive' || s === 'loaded' || s === 'launched';
}

/** What a caller sends to create the Service a unit stands for. */
export interface UnitServiceInput {
  apiVersion: string;
  kind: 'Service';
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: ServiceSpec;
}

/** A Service is a unit when it is named like one and its template carries unit options. */
export function isUnitService(svc: Pick<Service, 'metadata' | 'spec'>): boolean {
  return Array.isArray(svc.spec?.template?.unit) && parseUnitName(svc.metadata.name) !== undefined;
}

export function isUnitTemplateName(name: string): boolean {
  return parseUnitName(name)?.isTemplate === true;
}

/** systemd's Restart= as the native restart policy (systemd's default is no restart). */
export function restartPolicyOf(options: readonly UnitOption[]): RestartPolicy {
  const restart = options.filter((o) => o.section === 'Service' && o.name === 'Restart').at(-1)?.value.trim();
  if (restart === 'always') return 'always';
  if (restart && restart.startsWith('on-')) return 'on-failure';
  return 'never';
}

/**
 * A template with systemd's User= and Group= as its user and group, unless it names them
 * itself: who a unit runs as is one field for the server (tasks/root) and the agent alike.
 */
export function withUnitCredentials<T extends TaskTemplate>(t: T): T {
  if (!t.unit) return t;
  const last = (name: string) => t.unit!.filter((o) => o.section === 'Service' && o.name === name).at(-1)?.value.trim();
  const user = t.user ?? (last('User') || undefined);
  const group = t.group ?? (last('Group') || undefined);
  return { ...t, ...(user !== undefined ? { user } : {}), ...(group !== undefined ? { group } : {}) };
}

/**
 * The Service a unit file stands for. `name` must be a valid unit name (the caller checks it
 * with unitNameProblem and answers in its own words). `labels` are kept from an existing Service
 * when a unit file is replaced.
 */
export function serviceFromUnit(name: string, options: UnitOption[], desiredState: ServiceDesiredState, labels?: Record<string, string>): UnitServiceInput {
  const isTemplate = isUnitTemplateName(name);
  const rules = fleetConstraints(options, name);
  const spec: ServiceSpec = {
    ...(rules.global ? { global: true } : { replicas: 1 }),
    // A template is stored for its instances to copy, and never scheduled.
    desiredState: isTemplate ? 'inactive' : desiredState,
    strategy: 'spread',
    template: withUnitCredentials({ driver: 'unit', unit: options, restartPolicy: restartPolicyOf(options) }),
    ...(Object.keys(rules.constraints).length ? { constraints: rules.constraints } : {}),
  };
  const metadata: UnitServiceInput['metadata'] = { name };
  if (labels && Object.keys(labels).length) metadata.labels = labels;
  if (isTemplate) metadata.annotations = { [UNIT_TEMPLATE_ANNOTATION]: 'true' };
  return { apiVersion: API_VERSION, kind: 'Service', metadata, spec };
}
