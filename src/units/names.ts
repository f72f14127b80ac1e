// Unit names as fleet reads them: "foo.service", templates "foo@.service", instances
// "foo@1.service". parseUnitName follows fleet's unit.NewUnitNameInfo, unitNameProblem fleet's
// api.ValidateName (its messages are the 400 bodies fleet sends), unitNameFromArg fleetctl's
// unitNameMangle. Specifier expansion lives in specifiers.ts.

export { expandSpecifiers, unescapeUnitName, unescapeUnitPath, type SpecifierContext } from './specifiers.js';
import { goQuote, goQuoteRune } from './gostrings.js';

export interface UnitNameInfo {
  /** The name as given: "foo@1.service". */
  full: string;
  /** Without the type suffix: "foo@1". */
  name: string;
  /** Before the "@" (or the whole name): "foo". */
  prefix: string;
  /** After the first "@": "1"; undefined for plain units and templates. */
  instance: string | undefined;
  /** After the last ".": "service". */
  type: string;
  /** The template this name belongs to: "foo@.service"; undefined for plain units. */
  template: string | undefined;
  isTemplate: boolean;
  isInstance: boolean;
}

/** Split a unit name the way fleet does; undefined when it has no ".". */
export function parseUnitName(full: string): UnitNameInfo | undefined {
  const dot = full.lastIndexOf('.');
  if (dot < 0) return undefined;
  const name = full.slice(0, dot);
  const suffix = full.slice(dot);
  const at = name.indexOf('@');
  if (at < 0) {
    return { full, name, prefix: name, instance: undefined, type: suffix.slice(1), template: undefined, isTemplate: false, isInstance: false };
  }
  const prefix = name.slice(0, at);
  const instance = name.slice(at + 1) || undefined;
  return {
    full,
    name,
    prefix,
    instance,
    type: suffix.slice(1),
    template: `${prefix}@${suffix}`,
    isTemplate: instance === undefined,
    isInstance: instance !== undefined,
  };
}

/** Unit types fleet's API accepts in a name (api/units.go validUnitTypes). */
export const FLEET_UNIT_TYPES: ReadonlySet<string> = new Set([
  'automount', 'busname', 'device', 'mount', 'path', 'scope', 'service', 'slice', 'snapshot', 'socket', 'swap', 'target', 'timer',
]);
/** Unit types that may be templates or instances (api/units.go validTemplateTypes). */
export const FLEET_TEMPLATE_TYPES: ReadonlySet<string> = new Set(['path', 'service', 'socket', 'target', 'timer']);

const UNIT_NAME_MAX_BYTES = 256;
const VALID_CHAR = /^[0-9a-zA-Z:\-_.\\@]$/;

/**
 * Why fleet's API refuses `name` (400), in fleet's own words; undefined when the name is valid.
 * Checks in fleet's order: empty, longer than 256 bytes, no ".", ends in ".", unknown type,
 * "@" with a type that cannot be a template, a character outside A-Z a-z 0-9 : - _ . \ @,
 * a leading "@".
 */
export function unitNameProblem(name: string): string | undefined {
  const length = Buffer.byteLength(name, 'utf8');
  if (length === 0) return 'unit name cannot be empty';
  if (length > UNIT_NAME_MAX_BYTES) return `unit name exceeds maximum length (${UNIT_NAME_MAX_BYTES})`;
  const dot = name.lastIndexOf('.');
  if (dot < 0) return 'unit name must contain "."';
  if (dot === name.length - 1) return 'unit name cannot end in "."';
  const suffix = name.slice(dot + 1);
  if (!FLEET_UNIT_TYPES.has(suffix)) return `invalid unit type: ${goQuote(suffix)}`;
  if (name.includes('@') && !FLEET_TEMPLATE_TYPES.has(suffix)) return `invalid unit type for template: ${goQuote(suffix)}`;
  for (const ch of name.slice(0, dot)) {
    if (!VALID_CHAR.test(ch)) return `invalid character ${goQuoteRune(ch)} in unit name`;
  }
  if (name.startsWith('@')) return 'unit name cannot start in "@"';
  return undefined;
}

// fleetctl's unit.RecognizedUnitType: the suffixes it does not complete with ".service".
const RECOGNIZED_TYPES = ['service', 'socket', 'timer', 'path', 'device', 'mount', 'automount'];

export function isRecognizedUnitType(name: string): boolean {
  return RECOGNIZED_TYPES.some((t) => name.endsWith(`.${t}`));
}

/**
 * The unit name fleetctl derives from a command-line argument: the last path element, with
 * ".service" appended unless it already ends in a recognized type ("web" → "web.service",
 * "units/db@1.service" → "db@1.service").
 */
export function unitNameFromArg(arg: string): string {
  const base = goPathBase(arg);
  return isRecognizedUnitType(base) ? base : `${base}.service`;
}

/** Go's path.Base. */
function goPathBase(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
