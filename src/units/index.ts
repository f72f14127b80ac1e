// Fleet unit files and systemd service semantics, as pure functions: parse/serialize and hash
// unit files the way fleet does, fleet unit names and [X-Fleet] rules, and what a service
// unit's options mean to systemd (for the agent's `unit` driver).
export { UnitFileError, type FailedLoadState, type UnitWarning } from './errors.js';
export { parseUnitFile, serializeUnit, LINE_MAX_BYTES, type ParseUnitFileOptions, type UnitFileNotice } from './parse.js';
export { unitHash, shortUnitHash } from './hash.js';
export {
  parseUnitName, unitNameProblem, unitNameFromArg, isRecognizedUnitType, FLEET_UNIT_TYPES, FLEET_TEMPLATE_TYPES, type UnitNameInfo,
} from './names.js';
export { expandSpecifiers, unescapeUnitName, unescapeUnitPath, type SpecifierContext } from './specifiers.js';
export { goPathMatch } from '../model/glob.js';
export {
  fleetConstraints, fleetOptionsProblem, fleetMachineMatches, fleetDescription, instantiate, parseMultivalueLine,
  FLEET_REQUIREMENTS, XFLEET_SECTION, type FleetUnitSpec, type UnitInstance,
} from './xfleet.js';
export {
  interpretService, isValidSystemdUnitName, parseSystemdBoolean, expandCommandLine, parseEnvironmentFile, parseEnvironmentValue,
  parseTimespanMs, parseTimespanUsec,
  type ServiceUnit, type ServiceType, type SystemdServiceType, type RestartMode, type KillMode, type PathSetting, type UnitDependencies,
  type ExecCommand, type ExecPrivileges, type InterpretServiceOptions,
} from './systemd.js';
export { parseCalendarSpec, CalendarSpecError, type CalendarSpec } from './calendar.js';
export { formatCalendarSpec } from './calendar-format.js';
export { nextElapse } from './calendar-next.js';
export { interpretTimer, type TimerUnit, type TimerSpans, type InterpretTimerOptions } from './systemd-timer.js';
export { nextTimerElapse, type TimerBases } from './timer-schedule.js';
