// What each [Unit] and [Service] setting does to a service unit, as systemd 252's
// load-fragment.c reads it: one handler per setting, keyed "Section.Name". A handler reads the
// value and changes the unit being built; a value systemd would log and ignore becomes a warning
// (the setting keeps its previous value), and a value systemd refuses fails the unit. What only
// matters once every setting is read (the default Type=, service_verify) is in systemd.ts.
import { UnitFileError, type UnitWarning } from './errors.js';
import { parseEnvironmentValue } from './environment.js';
import { parseExecLine } from './exec.js';
import { parseUnitName } from './names.js';
import type { UnitAssignment } from './systemd-conf.js';
import type { KillMode, RestartMode, ServiceUnit, SystemdServiceType, UnitDependencies } from './systemd-service.js';
import { isValidSystemdUnitName, isValidUserName, parseSystemdBoolean, signalName, simplifyAbsolutePath } from './systemd-values.js';
import { parseTimespanMs } from './timespan.js';

/** The unit being built, and what the checks after the last setting need besides. */
export interface ServiceDraft {
  unit: ServiceUnit;
  /** Type=, if set: without it the type depends on ExecStart= and BusName=. */
  declaredType: SystemdServiceType | undefined;
  busName: string | undefined;
  /** TimeoutStartSec= or TimeoutSec= was set: a oneshot keeps it instead of waiting forever. */
  hasStartTimeout: boolean;
}

/** What every setting of one unit shares. */
export interface SettingScope {
  /** The unit's name, for specifiers and for dependencies on a template. */
  unitName: string | undefined;
  /** Expands specifiers; throws when one is unknown or cannot be resolved. */
  resolve: (text: string) => string;
  /** Where warnings go (the unit's own list). */
  warnings: UnitWarning[];
}

/** One setting as its handler sees it. */
export interface Setting {
  name: string;
  value: string;
  unitName: string | undefined;
  resolve: (text: string) => string;
  /** Specifiers expanded, or undefined after a warning (systemd ignores the setting). */
  resolveOrWarn: (text: string) => string | undefined;
  /** What systemd would log; the unit still loads. */
  warn: (message: string) => void;
  /** What systemd refuses: the unit fails to load. */
  fail: (message: string) => never;
}

export type SettingHandler = (draft: ServiceDraft, setting: Setting) => void;

/** One assignment, for its handler: its warnings and its failure name its line and setting. */
export function settingOf(a: UnitAssignment, scope: SettingScope): Setting {
  const warn = (message: string) => {
    scope.warnings.push({ line: a.line, section: a.section, name: a.name, message });
  };
  return {
    name: a.name,
    value: a.value,
    unitName: scope.unitName,
    resolve: scope.resolve,
    resolveOrWarn: (text) => {
      try {
        return scope.resolve(text);
      } catch (err) {
        warn(`${(err as Error).message}; ignoring`);
        return undefined;
      }
    },
    warn,
    fail: (message) => {
      throw new UnitFileError(`line ${a.line}: ${a.name}=${a.value}: ${message}`, { line: a.line, section: a.section, name: a.name });
    },
  };
}

const SERVICE_TYPES: readonly SystemdServiceType[] = ['simple', 'exec', 'forking', 'oneshot', 'dbus', 'notify', 'idle'];
const RESTART_MODES: readonly RestartMode[] = ['no', 'always', 'on-success', 'on-failure', 'on-abnormal', 'on-abort', 'on-watchdog'];
const KILL_MODES: readonly KillMode[] = ['control-group', 'process', 'mixed', 'none'];

type ExecList = 'execStartPre' | 'execStart' | 'execStartPost' | 'execReload' | 'execStop' | 'execStopPost';

const isOneOf = <T extends string>(values: readonly T[], value: string): value is T => (values as readonly string[]).includes(value);

/** A setting systemd knows that changes nothing for drover. */
const accepted: SettingHandler = () => {};

const unsupported: SettingHandler = (_draft, { name, warn }) => warn(`${name}= is not supported by drover's unit driver; ignoring it`);

const description: SettingHandler = ({ unit }, { value, resolveOrWarn }) => {
  if (value === '') {
    unit.description = undefined;
    return;
  }
  const text = resolveOrWarn(value);
  if (text !== undefined) unit.description = text;
};

/**
 * config_parse_unit_deps: blank-separated unit names (quotes are not special), specifiers
 * resolved; a template ("foo@.service") means the instance of the same name as this unit's
 * instance (or, for a plain unit, its prefix), as systemd's resolve_template does. Repeats are
 * dropped.
 */
const dependency = (kind: keyof UnitDependencies): SettingHandler => ({ unit }, { value, unitName, resolveOrWarn, warn }) => {
  const list = unit.dependencies[kind];
  for (const word of value.split(/[ \t\n\r]+/).filter(Boolean)) {
    let name = resolveOrWarn(word);
    if (name === undefined) continue;
    const info = parseUnitName(name);
    if (info?.isTemplate && unitName !== undefined) {
      const own = parseUnitName(unitName);
      if (own) name = `${info.prefix}@${own.instance ?? own.prefix}.${info.type}`;
    }
    if (!isValidSystemdUnitName(name)) {
      warn(`not a valid unit name, ignoring the dependency: ${JSON.stringify(name)}`);
      continue;
    }
    if (!list.includes(name)) list.push(name);
  }
};

/** Exec*=: commands appended; an empty value empties the list; a broken command fails the unit. */
const execList = (field: ExecList): SettingHandler => ({ unit }, { value, resolve, warn, fail }) => {
  const list = unit[field];
  if (value === '') {
    list.length = 0;
    return;
  }
  const result = parseExecLine(value, resolve);
  for (const message of result.warnings) warn(message);
  list.push(...result.commands);
  if (result.fatal) fail(result.fatal);
};

const type: SettingHandler = (draft, { value, warn }) => {
  if (isOneOf(SERVICE_TYPES, value)) draft.declaredType = value;
  else warn(`unknown service type ${JSON.stringify(value)}, ignoring (use simple, exec, forking, oneshot, dbus, notify or idle)`);
};

const restart: SettingHandler = ({ unit }, { value, warn }) => {
  if (isOneOf(RESTART_MODES, value)) unit.restart = value;
  else warn(`unknown restart mode ${JSON.stringify(value)}, ignoring (use ${RESTART_MODES.join(', ')})`);
};

const restartSec: SettingHandler = ({ unit }, { value, warn }) => {
  const ms = parseTimespanMs(value);
  if (ms === undefined) warn(`not a time span: ${JSON.stringify(value)}, ignoring (write "5", "5s", "1min 30s", "500ms")`);
  else unit.restartSecMs = ms;
};

/** TimeoutStartSec=, TimeoutStopSec=, or TimeoutSec= for both; "0" has always meant no timeout. */
const timeout = (sets: { start: boolean; stop: boolean }): SettingHandler => (draft, { value, warn }) => {
  const ms = parseTimespanMs(value);
  if (ms === undefined) {
    warn(`not a time span: ${JSON.stringify(value)}, ignoring (write "90", "90s", "2min", or "infinity")`);
    return;
  }
  const timeoutMs = ms === 0 ? Infinity : ms;
  if (sets.start) {
    draft.unit.timeoutStartMs = timeoutMs;
    draft.hasStartTimeout = true;
  }
  if (sets.stop) draft.unit.timeoutStopMs = timeoutMs;
};

const remainAfterExit: SettingHandler = ({ unit }, { value, warn }) => {
  const b = parseSystemdBoolean(value);
  if (b === undefined) warn(`not a boolean: ${JSON.stringify(value)}, ignoring (use yes or no)`);
  else unit.remainAfterExit = b;
};

const environment: SettingHandler = ({ unit }, { value, resolve, warn }) => {
  if (value === '') {
    unit.environment = {};
    return;
  }
  const parsed = parseEnvironmentValue(value, resolve);
  for (const message of parsed.warnings) warn(message);
  for (const [name, v] of parsed.assignments) unit.environment[name] = v;
};

const environmentFile: SettingHandler = ({ unit }, { value, resolveOrWarn, warn }) => {
  if (value === '') {
    unit.environmentFiles = [];
    return;
  }
  const path = resolveOrWarn(value);
  if (path === undefined) return;
  const ignoreMissing = path.startsWith('-');
  const checked = simplifyAbsolutePath(ignoreMissing ? path.slice(1) : path);
  if ('problem' in checked) warn(`${checked.problem}, ignoring: ${JSON.stringify(path)}`);
  else unit.environmentFiles.push({ path: checked.path, ignoreMissing });
};

/** A bad path fails the unit, unless "-" allows it to be missing: then it is only ignored. */
const workingDirectory: SettingHandler = ({ unit }, { value, resolve, warn, fail }) => {
  if (value === '') {
    unit.workingDirectory = undefined;
    return;
  }
  const ignoreMissing = value.startsWith('-');
  const raw = ignoreMissing ? value.slice(1) : value;
  if (raw === '~') {
    unit.workingDirectory = { home: true, ignoreMissing };
    return;
  }
  let path: string;
  try {
    path = resolve(raw);
  } catch (err) {
    if (ignoreMissing) warn(`${(err as Error).message}; ignoring`);
    else fail((err as Error).message);
    return;
  }
  const checked = simplifyAbsolutePath(path);
  if (!('problem' in checked)) unit.workingDirectory = { path: checked.path, ignoreMissing, home: false };
  else if (ignoreMissing) warn(`${checked.problem}, ignoring: ${JSON.stringify(path)}`);
  else fail(`${checked.problem}: ${JSON.stringify(path)}`);
};

/** User=, Group=: an empty value is none; a name systemd cannot use fails the unit. */
const userOrGroup = (field: 'user' | 'group'): SettingHandler => ({ unit }, { value, resolve, fail }) => {
  if (value === '') {
    unit[field] = undefined;
    return;
  }
  let name: string;
  try {
    name = resolve(value);
  } catch (err) {
    return fail((err as Error).message);
  }
  if (!isValidUserName(name)) fail(`invalid user or group name or numeric ID: ${JSON.stringify(name)}`);
  unit[field] = name;
};

const pidFile: SettingHandler = ({ unit }, { value, resolveOrWarn, warn }) => {
  if (value === '') {
    unit.pidFile = undefined;
    return;
  }
  const path = resolveOrWarn(value);
  if (path === undefined) return;
  // a relative PIDFile= is relative to /run; /var/run is /run
  const checked = simplifyAbsolutePath(path.startsWith('/') ? path : `/run/${path}`);
  if ('problem' in checked) warn(`${checked.problem}, ignoring: ${JSON.stringify(path)}`);
  else unit.pidFile = checked.path.replace(/^\/var\/run\//, '/run/');
};

const busName: SettingHandler = (draft, { value }) => {
  draft.busName = value === '' ? undefined : value;
};

const killMode: SettingHandler = ({ unit }, { value, warn }) => {
  if (isOneOf(KILL_MODES, value)) unit.killMode = value;
  else warn(`unknown kill mode ${JSON.stringify(value)}, ignoring (use ${KILL_MODES.join(', ')})`);
};

const killSignal: SettingHandler = ({ unit }, { value, warn }) => {
  const signal = signalName(value);
  if (signal) unit.killSignal = signal;
  else warn(`unknown signal ${JSON.stringify(value)}, ignoring (use a name such as SIGTERM or SIGINT)`);
};

const startLimitInterval: SettingHandler = ({ unit }, { value, warn }) => {
  // "infinity" and 0 both turn the limit off.
  const ms = value.trim() === 'infinity' ? 0 : parseTimespanMs(value);
  if (ms === undefined) warn(`not a time span: ${JSON.stringify(value)}, ignoring (write "10s", "1min", or 0 for no limit)`);
  else unit.startLimitIntervalMs = ms;
};

const startLimitBurst: SettingHandler = ({ unit }, { value, warn }) => {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) warn(`not a number of starts: ${JSON.stringify(value)}, ignoring (write a whole number such as 5)`);
  else unit.startLimitBurst = n;
};

/** Every setting drover reads; any other is ignored (see settingHandler). */
const SETTINGS: Readonly<Record<string, SettingHandler>> = {
  'Unit.Description': description,
  'Unit.After': dependency('after'),
  'Unit.Before': dependency('before'),
  'Unit.Requires': dependency('requires'),
  'Unit.Requisite': dependency('requisite'),
  'Unit.Wants': dependency('wants'),
  'Unit.BindsTo': dependency('bindsTo'),
  'Unit.PartOf': dependency('partOf'),
  'Unit.Conflicts': dependency('conflicts'),
  'Unit.Documentation': accepted,
  'Unit.SourcePath': accepted,
  'Unit.DefaultDependencies': accepted,
  'Unit.StartLimitIntervalSec': startLimitInterval,
  'Unit.StartLimitBurst': startLimitBurst,

  'Service.Type': type,
  'Service.ExecStartPre': execList('execStartPre'),
  'Service.ExecStart': execList('execStart'),
  'Service.ExecStartPost': execList('execStartPost'),
  'Service.ExecReload': execList('execReload'),
  'Service.ExecStop': execList('execStop'),
  'Service.ExecStopPost': execList('execStopPost'),
  'Service.Restart': restart,
  'Service.RestartSec': restartSec,
  // The names these had in [Service] before systemd 230, still read by systemd.
  'Service.StartLimitInterval': startLimitInterval,
  'Service.StartLimitBurst': startLimitBurst,
  'Service.TimeoutSec': timeout({ start: true, stop: true }),
  'Service.TimeoutStartSec': timeout({ start: true, stop: false }),
  'Service.TimeoutStopSec': timeout({ start: false, stop: true }),
  'Service.RemainAfterExit': remainAfterExit,
  'Service.Environment': environment,
  'Service.EnvironmentFile': environmentFile,
  'Service.WorkingDirectory': workingDirectory,
  'Service.User': userOrGroup('user'),
  'Service.Group': userOrGroup('group'),
  'Service.PIDFile': pidFile,
  'Service.BusName': busName,
  'Service.KillMode': killMode,
  'Service.KillSignal': killSignal,
};

/** The handler for a setting: its entry in the table, else silence or a warning. */
export function settingHandler(section: string, name: string): SettingHandler {
  const key = `${section}.${name}`;
  if (Object.hasOwn(SETTINGS, key)) return SETTINGS[key]!;
  // [Install] only matters to `systemctl enable`; X- settings are for other tools
  if (section === 'Install' || name.startsWith('X-')) return accepted;
  return unsupported;
}
