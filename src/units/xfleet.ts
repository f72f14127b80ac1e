// fleet's [X-Fleet] scheduling rules, mapped onto drover's native constraints, and fleet's
// validation of a unit's options. Sources: fleet's job/job.go (requirements, deprecated names,
// unitPrintf), unit/unit.go (parseMultivalueLine, Description), agent/state.go (how the rules
// are applied), machine/state.go (MatchID), api/units.go (ValidateOptions) and fleetctl's
// getUnitFile (an instance is submitted with its template's options, unchanged).
//
// Unit names are kept as they are: a fleet unit "db.service" is the drover Service
// "db.service", so MachineOf=db.service and Conflicts=web@*.service name Services directly.
import { matchesMachineId } from '../model/machine.js';
import type { Constraints, UnitOption } from '../model/index.js';
import { UnitFileError } from './errors.js';
import { goFields, goQuote } from './gostrings.js';
import { goPathMatch } from '../model/glob.js';
import { parseUnitName, unitNameProblem } from './names.js';
import { parseUnitFile, serializeUnit } from './parse.js';
import { expandSpecifiers, type SpecifierContext } from './specifiers.js';

export const XFLEET_SECTION = 'X-Fleet';

/** Every [X-Fleet] key fleet knows, current and deprecated (job.go validRequirements). */
export const FLEET_REQUIREMENTS: ReadonlySet<string> = new Set([
  'MachineID', 'X-ConditionMachineID', 'X-ConditionMachineBootID',
  'MachineOf', 'X-ConditionMachineOf',
  'Conflicts', 'X-Conflicts',
  'MachineMetadata', 'X-ConditionMachineMetadata',
  'Global', 'Replaces',
]);

export interface FleetUnitSpec {
  /** Native constraints. `machine` may be an 8-character short machine ID: see fleetMachineMatches. */
  constraints: Constraints;
  /** Global=true: one task on every eligible machine. */
  global: boolean;
  /** Replaces= values, each a glob of unit names (not split on spaces, as in fleet). */
  replaces: string[];
  /** Every MachineOf= unit; fleet requires all of them locally (so does constraints.machineOf). */
  peers: string[];
  /** What fleetctl would warn about, plus rules fleet drops without a word. */
  warnings: string[];
}

/**
 * fleet's parseMultivalueLine: a value that starts and ends with a double quote is a list of
 * quoted words ("foo=bar" "baz=qux"); quotes toggle, spaces outside quotes separate, nothing is
 * escaped. Any other value is one word.
 */
export function parseMultivalueLine(line: string): string[] {
  if (!line.startsWith('"') || !line.endsWith('"')) return [line];
  const values: string[] = [];
  let word = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ' ' && !quoted) {
      values.push(word);
      word = '';
    } else word += ch;
  }
  values.push(word);
  return values;
}

/** fleet's unitPrintf: %n, %N, %p, %i replaced one after the other (no %%, no others). */
function unitPrintf(value: string, unitName: string): string {
  const info = parseUnitName(unitName);
  if (!info) return value;
  return value
    .replaceAll('%n', info.full)
    .replaceAll('%N', info.name)
    .replaceAll('%p', info.prefix)
    .replaceAll('%i', info.instance ?? '');
}

/** [X-Fleet] values by key, in option order, multi-values split, specifiers expanded for unitName. */
function requirements(options: readonly UnitOption[], unitName: string | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const o of options) {
    if (o.section !== XFLEET_SECTION) continue;
    const values = parseMultivalueLine(o.value).map((v) => (unitName === undefined ? v : unitPrintf(v, unitName)));
    out.set(o.name, [...(out.get(o.name) ?? []), ...values]);
  }
  return out;
}

const get = (reqs: Map<string, string[]>, ...keys: string[]) => keys.flatMap((k) => reqs.get(k) ?? []);

/** fleet's isTruthyValue. */
function isTruthy(value: string): boolean {
  return ['true', 'yes', '1', 'on', 't'].includes(value.toLowerCase());
}

function requiredMachine(reqs: Map<string, string[]>): string | undefined {
  for (const key of ['MachineID', 'X-ConditionMachineID', 'X-ConditionMachineBootID']) {
    const values = reqs.get(key);
    if (values?.length) return values[0];
  }
  return undefined;
}

function isGlobal(reqs: Map<string, string[]>): boolean {
  const values = reqs.get('Global') ?? [];
  return values.length > 0 && isTruthy(values[values.length - 1]!); // the last one wins
}

/**
 * The scheduling rules of the unit `unitName` ("web@2.service"): its [X-Fleet] options with
 * %n %N %p %i expanded for that name, as fleet's agent evaluates them.
 * - MachineID (else X-ConditionMachineID, else X-ConditionMachineBootID): the first value pins
 *   the machine; fleet also accepts the 8-character short ID.
 * - MachineMetadata, X-ConditionMachineMetadata: "key=value", repeatable; values of one key are
 *   alternatives, different keys must all match. Pairs without exactly one "=" or with an empty
 *   side are dropped, as fleet does.
 * - MachineOf, X-ConditionMachineOf: on the machine of that unit (every one, if several).
 * - Conflicts, X-Conflicts: space-separated globs (Go path.Match) of unit names.
 * - Global: the last value decides (true, yes, 1, on, t; any case).
 * - Replaces: globs of units this one pushes off its machine.
 */
export function fleetConstraints(options: readonly UnitOption[], unitName: string): FleetUnitSpec {
  const reqs = requirements(options, unitName);
  const warnings: string[] = [];
  for (const key of reqs.keys()) {
    if (!FLEET_REQUIREMENTS.has(key)) warnings.push(`unrecognized requirement in [X-Fleet] section: ${goQuote(key)}`);
  }

  const constraints: Constraints = {};
  const machine = requiredMachine(reqs);
  if (machine !== undefined) constraints.machine = machine;

  const selector: Record<string, string[]> = {};
  for (const pair of get(reqs, 'X-ConditionMachineMetadata', 'MachineMetadata')) {
    const parts = pair.split('=');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      warnings.push(`MachineMetadata value ${goQuote(pair)} is not key=value; fleet ignores it`);
      continue;
    }
    const [key, value] = parts as [string, string];
    const values = Object.hasOwn(selector, key) ? selector[key]! : (selector[key] = []);
    if (!values.includes(value)) values.push(value);
  }
  if (Object.keys(selector).length > 0) {
    constraints.machineSelector = Object.fromEntries(Object.entries(selector).map(([k, v]) => [k, v.length === 1 ? v[0]! : v]));
  }

  const peers = get(reqs, 'X-ConditionMachineOf', 'MachineOf');
  if (peers.length > 0) constraints.machineOf = peers.length === 1 ? peers[0]! : unique(peers);

  const conflicts = get(reqs, 'X-Conflicts', 'Conflicts').flatMap(goFields);
  if (conflicts.length > 0) constraints.conflicts = conflicts;

  const replaces = get(reqs, 'Replaces');
  for (const r of replaces) {
    if (/\s/.test(r)) warnings.push(`Replaces value ${goQuote(r)} contains spaces; fleet matches it as one name (repeat Replaces= for several units)`);
  }
  if (replaces.length > 0) constraints.replaces = unique(replaces);
  return { constraints, global: isGlobal(reqs), replaces, peers, warnings };
}

/**
 * Why fleet's API refuses these options (400), in fleet's words; undefined when it accepts them.
 * As api/units.go ValidateOptions: the serialized unit must read back (line length, option
 * names without newlines, section names without "]"), no MachineOf unit may match a Conflicts
 * or Replaces glob, and MachineID / Global / Conflicts / Replaces / MachineOf only combine as
 * fleet allows. The rules are read without specifier expansion, as fleet does at this point.
 * fleet reports the first problem in map order; here the first in option order.
 */
export function fleetOptionsProblem(options: readonly UnitOption[]): string | undefined {
  try {
    parseUnitFile(serializeUnit(options));
  } catch (err) {
    if (err instanceof UnitFileError) return err.fleetMessage ?? err.message;
    throw err;
  }
  const reqs = requirements(options, undefined);
  const conflicts = unique(get(reqs, 'X-Conflicts', 'Conflicts').flatMap(goFields));
  const replaces = unique(get(reqs, 'Replaces'));
  const peers = unique(get(reqs, 'X-ConditionMachineOf', 'MachineOf'));
  for (const peer of peers) {
    for (const conflict of conflicts) {
      if (goPathMatch(conflict, peer)) return `unresolvable requirements: peer ${goQuote(peer)} matches conflict ${goQuote(conflict)}`;
    }
    for (const replace of replaces) {
      if (goPathMatch(replace, peer)) return `unresolvable requirements: peer ${goQuote(peer)} matches replace ${goQuote(replace)}`;
    }
  }
  const hasMachine = requiredMachine(reqs) !== undefined;
  const hasPeers = peers.length > 0;
  const hasConflicts = conflicts.length > 0;
  const hasReplaces = replaces.length > 0;
  const global = isGlobal(reqs);
  if (hasMachine && hasPeers) return 'MachineID cannot be used with Peers';
  if (hasMachine && hasConflicts) return 'MachineID cannot be used with Conflicts';
  if (hasMachine && global) return 'MachineID cannot be used with Global';
  if (hasMachine && hasReplaces) return 'MachineID cannot be used with Replaces';
  if (global && hasPeers) return 'Global cannot be used with Peers';
  if (global && hasReplaces) return 'Global cannot be used with Replaces';
  if (hasConflicts && hasReplaces) return 'Conflicts cannot be used with Replaces';
  return undefined;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** fleet's MachineMatches: see model's matchesMachineId. */
export const fleetMachineMatches = matchesMachineId;

/** What fleetctl list-unit-files shows as DESCRIPTION: the first [Unit] Description. */
export function fleetDescription(options: readonly UnitOption[]): string {
  return options.find((o) => o.section === 'Unit' && o.name === 'Description')?.value ?? '';
}

export interface UnitInstance {
  /** "foo@1.service" */
  name: string;
  /** "foo@.service" */
  template: string;
  /** What fleet stores for the instance: the template's options, unchanged (so the same hash). */
  options: UnitOption[];
  /**
   * What systemd loads for the instance: [X-Fleet] values with fleet's four specifiers expanded,
   * every other value with systemd's (those that cannot be resolved here are left as written;
   * interpretService reports them).
   */
  expandedOptions: UnitOption[];
  /** The instance's scheduling rules. */
  fleet: FleetUnitSpec;
}

/**
 * The unit `instanceName` ("foo@1.service") made from its template's options, as fleetctl does
 * when asked to start an instance whose template alone was submitted: fleet copies the options
 * verbatim; specifiers are expanded later, by fleet's scheduler for [X-Fleet] and by systemd for
 * everything else. Throws UnitFileError when the name is not a valid instance name.
 */
export function instantiate(templateOptions: readonly UnitOption[], instanceName: string, context: SpecifierContext = {}): UnitInstance {
  const problem = unitNameProblem(instanceName);
  if (problem) throw new UnitFileError(`cannot instantiate ${JSON.stringify(instanceName)}: ${problem}`);
  const info = parseUnitName(instanceName)!;
  if (!info.isInstance || info.template === undefined) {
    throw new UnitFileError(`cannot instantiate ${JSON.stringify(instanceName)}: an instance name has the form prefix@instance.type, like "web@1.service"`);
  }
  const options = templateOptions.map((o) => ({ ...o }));
  const expandedOptions = options.map((o) => ({ ...o, value: o.section === XFLEET_SECTION ? unitPrintf(o.value, instanceName) : tryExpand(o.value, instanceName, context) }));
  return { name: instanceName, template: info.template, options, expandedOptions, fleet: fleetConstraints(options, instanceName) };
}

function tryExpand(value: string, unitName: string, context: SpecifierContext): string {
  try {
    return expandSpecifiers(value, unitName, context);
  } catch (err) {
    if (err instanceof UnitFileError) return value;
    throw err;
  }
}
