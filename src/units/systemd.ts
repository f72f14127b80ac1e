// What the agent's `unit` driver needs to know about a service unit, as plain data: the systemd
// 252 meaning of its options (systemd.service(5), systemd.exec(5), systemd.unit(5)).
//
// The options are serialized as fleet writes them for systemd and read back with systemd's
// rules (systemd-conf.ts), then each setting is handed to its handler (systemd-settings.ts),
// which interprets it as systemd's load-fragment.c does: an invalid value is ignored with a
// warning (the setting keeps its previous value), and what systemd refuses outright (a broken
// command line, a relative WorkingDirectory=, ...) throws UnitFileError, whose loadState is what
// systemd would report. Then, as systemd does once the file is read, the type is settled and the
// whole service checked (no ExecStart= that is not Type=oneshot, ...). Specifiers are resolved
// per setting for `unitName`.
import type { UnitOption } from '../model/index.js';
import { UnitFileError } from './errors.js';
import { parseUnitName } from './names.js';
import { serializeUnit } from './parse.js';
import { expandSpecifiers, type SpecifierContext } from './specifiers.js';
import { readUnitText } from './systemd-conf.js';
import { defaultServiceUnit, type ServiceUnit, type SystemdServiceType } from './systemd-service.js';
import { settingHandler, settingOf, type ServiceDraft, type SettingScope } from './systemd-settings.js';

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
  const { assignments, warnings } = readUnitText(serializeUnit(options), SERVICE_SECTIONS);
  const scope: SettingScope = { unitName, resolve: (text) => expandSpecifiers(text, unitName, opts.specifiers), warnings };
  const draft: ServiceDraft = { unit: defaultServiceUnit(warnings), declaredType: undefined, busName: undefined, hasStartTimeout: false };
  for (const a of assignments) settingHandler(a.section, a.name)(draft, settingOf(a, scope));
  settleType(draft);
  verify(draft);
  return draft.unit;
}

/** service_add_extras: the default type, and oneshot services wait for as long as it takes. */
function settleType({ unit, declaredType, busName, hasStartTimeout }: ServiceDraft): void {
  const systemdType: SystemdServiceType = declaredType ?? (busName ? 'dbus' : unit.execStart.length > 0 ? 'simple' : 'oneshot');
  unit.systemdType = systemdType;
  unit.type = systemdType === 'oneshot' || systemdType === 'forking' ? systemdType : 'simple';
  if (systemdType === 'notify' || systemdType === 'dbus') {
    unit.warnings.push({ section: 'Service', name: 'Type', message: `Type=${systemdType} runs as Type=simple: drover considers the service started once its process is running` });
  }
  if (systemdType === 'oneshot' && !hasStartTimeout) unit.timeoutStartMs = Infinity;
}

/** service_verify: what systemd refuses to load once every setting is read. */
function verify({ unit, busName }: ServiceDraft): void {
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
  if (unit.systemdType === 'dbus' && !busName) refuse('service is of Type=dbus but has no BusName= setting');
}
