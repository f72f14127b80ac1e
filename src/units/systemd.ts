// What the agent's `unit` driver needs to know about a service unit, as plain data: the systemd
// 252 meaning of its options (systemd.service(5), systemd.exec(5), systemd.unit(5)).
//
// The options are serialized as fleet writes them for systemd and read back with systemd's
// rules (systemd-conf.ts), then each setting is interpreted as systemd's load-fragment.c does:
// an invalid value is ignored with a warning (the setting keeps its previous value), and what
// systemd refuses outright (a broken command line, a relative WorkingDirectory=, a service with
// no ExecStart= that is not Type=oneshot, ...) throws UnitFileError, whose loadState is what
// systemd would report. Specifiers are resolved per setting for `unitName`.
import type { UnitOption } from '../api/kinds/common.js';
import { UnitFileError } from './errors.js';
import { parseEnvironmentValue } from './environment.js';
import { parseExecLine } from './exec.js';
import { parseUnitName } from './names.js';
import { serializeUnit } from './parse.js';
import { expandSpecifiers, type SpecifierContext } from './specifiers.js';
import { readUnitText } from './systemd-conf.js';
import { defaultServiceUnit, type KillMode, type RestartMode, type ServiceUnit, type SystemdServiceType, type UnitDependencies } from './systemd-service.js';
import { isValidSystemdUnitName, isValidUserName, parseSystemdBoolean, signalName, simplifyAbsolutePath } from './systemd-values.js';
import { parseTimespanMs } from './timespan.js';

export type { ExecCommand, ExecPrivileges } from './exec.js';
export { expandCommandLine } from './exec.js';
export { parseEnvironmentFile, parseEnvironmentValue } from './environment.js';
export { parseTimespanMs, parseTimespanUsec } from './timespan.js';
export { isValidSystemdUnitName, parseSystemdBoolean } from './systemd-values.js';
export type {
  ServiceUnit, ServiceType, SystemdServiceType, RestartMode, KillMode, PathSetting, UnitDependencies,
} from './systemd-service.js';

export interface InterpretServiceOptions {
  /** The unit's name ("web@1.service"), for %n %i %p... specifiers. */
  unitName?: string;
  /** Host values for %H %m %b... specifiers. */
  specifiers?: SpecifierContext;
}

const SERVICE_SECTIONS = ['Unit', 'Service', 'Install'];
const RESTART_MODES: readonly RestartMode[] = ['no', 'always', 'on-success', 'on-failure', 'on-abnormal', 'on-abort', 'on-watchdog'];
const SERVICE_TYPES: readonly SystemdServiceType[] = ['simple', 'exec', 'forking', 'oneshot', 'dbus', 'notify', 'idle'];
const KILL_MODES: readonly KillMode[] = ['control-group', 'process', 'mixed', 'none'];
const DEPENDENCY_KEYS: Record<string, keyof UnitDependencies> = {
  After: 'after', Before: 'before', Requires: 'requires', Requisite: 'requisite', Wants: 'wants', BindsTo: 'bindsTo', PartOf: 'partOf', Conflicts: 'conflicts',
};
const EXEC_KEYS = {
  ExecStartPre: 'execStartPre', ExecStart: 'execStart', ExecStartPost: 'execStartPost', ExecReload: 'execReload', ExecStop: 'execStop', ExecStopPost: 'execStopPost',
} as const;
// Settings systemd knows that change nothing for drover; accepted without a warning.
const HARMLESS = new Set(['Unit.Documentation', 'Unit.SourcePath', 'Unit.DefaultDependencies', 'Install.WantedBy', 'Install.RequiredBy', 'Install.Alias', 'Install.Also', 'Install.DefaultInstance']);

/**
 * Interpret a service unit's options. Throws UnitFileError for what systemd refuses to load;
 * everything systemd would merely log is in `warnings`.
 */
export function interpretService(options: readonly UnitOption[], opts: InterpretServiceOptions = {}): ServiceUnit {
  const { unitName } = opts;
  if (unitName !== undefined) {
    const info = parseUnitName(unitName);
    if (info?.type !== 'service') {
      throw new UnitFileError(`${JSON.stringify(unitName)} is not a service unit: the unit driver runs *.service units only`);
    }
    if (info.isTemplate) throw new UnitFileError(`${JSON.stringify(unitName)} is a template: run an instance of it, such as ${JSON.stringify(`${info.prefix}@1.service`)}`);
  }
  const resolve = (text: string) => expandSpecifiers(text, unitName, opts.specifiers);
  const { assignments, warnings } = readUnitText(serializeUnit(options), SERVICE_SECTIONS);

  const unit = defaultServiceUnit(warnings);
  let declaredType: SystemdServiceType | undefined;
  let busName: string | undefined;
  let startTimeoutSet = false;

  for (const a of assignments) {
    const warn = (message: string) => warnings.push({ line: a.line, section: a.section, name: a.name, message });
    /** Specifiers expanded, or undefined (with a warning: systemd ignores the setting). */
    const resolveOrWarn = (text: string): string | undefined => {
      try {
        return resolve(text);
      } catch (err) {
        warn(`${(err as Error).message}; ignoring`);
        return undefined;
      }
    };
    const fail = (message: string): never => {
      throw new UnitFileError(`line ${a.line}: ${a.name}=${a.value}: ${message}`, { line: a.line, section: a.section, name: a.name });
    };
    const key = `${a.section}.${a.name}`;
    const value = a.value;

    if (a.section === 'Unit' && Object.hasOwn(DEPENDENCY_KEYS, a.name)) {
      addDependencies(unit.dependencies[DEPENDENCY_KEYS[a.name]!], value, resolve, unitName, warn);
      continue;
    }
    if (a.section === 'Service' && Object.hasOwn(EXEC_KEYS, a.name)) {
      const list = unit[EXEC_KEYS[a.name as keyof typeof EXEC_KEYS]];
      if (value === '') {
        list.length = 0;
        continue;
      }
      const result = parseExecLine(value, resolve);
      result.warnings.forEach(warn);
      list.push(...result.commands);
      if (result.fatal) fail(result.fatal);
      continue;
    }

    switch (key) {
      case 'Unit.Description':
        if (value === '') unit.description = undefined;
        else {
          try {
            unit.description = resolve(value);
          } catch (err) {
            warn(`${(err as Error).message}; ignoring`);
          }
        }
        break;
      case 'Service.Type':
        if ((SERVICE_TYPES as readonly string[]).includes(value)) declaredType = value as SystemdServiceType;
        else warn(`unknown service type ${JSON.stringify(value)}, ignoring (use simple, exec, forking, oneshot, dbus, notify or idle)`);
        break;
      case 'Service.Restart':
        if ((RESTART_MODES as readonly string[]).includes(value)) unit.restart = value as RestartMode;
        else warn(`unknown restart mode ${JSON.stringify(value)}, ignoring (use ${RESTART_MODES.join(', ')})`);
        break;
      case 'Service.RestartSec': {
        const ms = parseTimespanMs(value);
        if (ms === undefined) warn(`not a time span: ${JSON.stringify(value)}, ignoring (write "5", "5s", "1min 30s", "500ms")`);
        else unit.restartSecMs = ms;
        break;
      }
      case 'Service.TimeoutSec':
      case 'Service.TimeoutStartSec':
      case 'Service.TimeoutStopSec': {
        let ms = parseTimespanMs(value);
        if (ms === undefined) {
          warn(`not a time span: ${JSON.stringify(value)}, ignoring (write "90", "90s", "2min", or "infinity")`);
          break;
        }
        if (ms === 0) ms = Infinity; // "0" has always meant "no timeout"
        if (a.name !== 'TimeoutStopSec') {
          unit.timeoutStartMs = ms;
          startTimeoutSet = true;
        }
        if (a.name !== 'TimeoutStartSec') unit.timeoutStopMs = ms;
        break;
      }
      case 'Service.RemainAfterExit': {
        const b = parseSystemdBoolean(value);
        if (b === undefined) warn(`not a boolean: ${JSON.stringify(value)}, ignoring (use yes or no)`);
        else unit.remainAfterExit = b;
        break;
      }
      case 'Service.Environment':
        if (value === '') unit.environment = {};
        else {
          const parsed = parseEnvironmentValue(value, resolve);
          parsed.warnings.forEach(warn);
          for (const [name, v] of parsed.assignments) unit.environment[name] = v;
        }
        break;
      case 'Service.EnvironmentFile': {
        if (value === '') {
          unit.environmentFiles = [];
          break;
        }
        const path = resolveOrWarn(value);
        if (path === undefined) break;
        const ignoreMissing = path.startsWith('-');
        const checked = simplifyAbsolutePath(ignoreMissing ? path.slice(1) : path);
        if ('problem' in checked) warn(`${checked.problem}, ignoring: ${JSON.stringify(path)}`);
        else unit.environmentFiles.push({ path: checked.path, ignoreMissing });
        break;
      }
      case 'Service.WorkingDirectory': {
        if (value === '') {
          unit.workingDirectory = undefined;
          break;
        }
        const ignoreMissing = value.startsWith('-');
        const raw = ignoreMissing ? value.slice(1) : value;
        if (raw === '~') {
          unit.workingDirectory = { home: true, ignoreMissing };
          break;
        }
        let path: string;
        try {
          path = resolve(raw);
        } catch (err) {
          if (ignoreMissing) warn(`${(err as Error).message}; ignoring`);
          else fail((err as Error).message);
          break;
        }
        const checked = simplifyAbsolutePath(path);
        if ('problem' in checked) {
          if (ignoreMissing) warn(`${checked.problem}, ignoring: ${JSON.stringify(path)}`);
          else fail(`${checked.problem}: ${JSON.stringify(path)}`);
        } else unit.workingDirectory = { path: checked.path, ignoreMissing, home: false };
        break;
      }
      case 'Service.User':
      case 'Service.Group': {
        let name: string | undefined;
        if (value !== '') {
          try {
            name = resolve(value);
          } catch (err) {
            fail((err as Error).message);
          }
          if (!isValidUserName(name!)) fail(`invalid user or group name or numeric ID: ${JSON.stringify(name)}`);
        }
        if (a.name === 'User') unit.user = name;
        else unit.group = name;
        break;
      }
      case 'Service.PIDFile': {
        if (value === '') {
          unit.pidFile = undefined;
          break;
        }
        const path = resolveOrWarn(value);
        if (path === undefined) break;
        // a relative PIDFile= is relative to /run; /var/run is /run
        const checked = simplifyAbsolutePath(path.startsWith('/') ? path : `/run/${path}`);
        if ('problem' in checked) warn(`${checked.problem}, ignoring: ${JSON.stringify(path)}`);
        else unit.pidFile = checked.path.replace(/^\/var\/run\//, '/run/');
        break;
      }
      case 'Service.BusName':
        busName = value === '' ? undefined : value;
        break;
      case 'Service.KillMode':
        if ((KILL_MODES as readonly string[]).includes(value)) unit.killMode = value as KillMode;
        else warn(`unknown kill mode ${JSON.stringify(value)}, ignoring (use ${KILL_MODES.join(', ')})`);
        break;
      case 'Service.KillSignal': {
        const sig = signalName(value);
        if (sig) unit.killSignal = sig;
        else warn(`unknown signal ${JSON.stringify(value)}, ignoring (use a name such as SIGTERM or SIGINT)`);
        break;
      }
      default:
        if (HARMLESS.has(key) || a.name.startsWith('X-') || a.section === 'Install') break;
        warn(`${a.name}= is not supported by drover's unit driver; ignoring it`);
    }
  }

  // service_add_extras: the default type, and oneshot services wait for as long as it takes
  const systemdType: SystemdServiceType = declaredType ?? (busName ? 'dbus' : unit.execStart.length > 0 ? 'simple' : 'oneshot');
  unit.systemdType = systemdType;
  unit.type = systemdType === 'oneshot' || systemdType === 'forking' ? systemdType : 'simple';
  if (systemdType === 'notify' || systemdType === 'dbus') {
    warnings.push({ section: 'Service', name: 'Type', message: `Type=${systemdType} runs as Type=simple: drover considers the service started once its process is running` });
  }
  if (systemdType === 'oneshot' && !startTimeoutSet) unit.timeoutStartMs = Infinity;

  // service_verify
  const refuse = (message: string): never => {
    throw new UnitFileError(message, { section: 'Service' });
  };
  const hasStart = unit.execStart.length > 0;
  if (!hasStart && unit.execStop.length === 0) refuse('service has no ExecStart= setting (and no ExecStop= either): add ExecStart=');
  if (!hasStart && unit.type !== 'oneshot') refuse(`service has no ExecStart= setting, which is only allowed for Type=oneshot services`);
  if (!hasStart && !unit.remainAfterExit) refuse('service has no ExecStart= setting and does not have RemainAfterExit=yes set');
  if (unit.execStart.length > 1 && unit.type !== 'oneshot') {
    refuse('service has more than one ExecStart= setting, which is only allowed for Type=oneshot services');
  }
  if (unit.type === 'oneshot' && (unit.restart === 'always' || unit.restart === 'on-success')) {
    refuse(`service has Restart=${unit.restart}, which is not allowed for Type=oneshot services: use on-failure or no`);
  }
  if (systemdType === 'dbus' && !busName) refuse('service is of Type=dbus but has no BusName= setting');
  return unit;
}

/**
 * config_parse_unit_deps: blank-separated unit names (quotes are not special), specifiers
 * resolved; a template ("foo@.service") means the instance of the same name as this unit's
 * instance (or, for a plain unit, its prefix), as systemd's resolve_template does.
 */
function addDependencies(list: string[], value: string, resolve: (text: string) => string, unitName: string | undefined, warn: (message: string) => void): void {
  for (const word of value.split(/[ \t\n\r]+/).filter(Boolean)) {
    let name: string;
    try {
      name = resolve(word);
    } catch (err) {
      warn(`${(err as Error).message}; ignoring`);
      continue;
    }
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
}
