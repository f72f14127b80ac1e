// What drover's unit driver knows about a service unit, as plain data, and the value systemd
// 252 gives each setting a unit file does not mention. interpretService (systemd.ts) starts from
// defaultServiceUnit and lets each setting (systemd-settings.ts) change it.
import type { UnitWarning } from './errors.js';
import type { ExecCommand } from './exec.js';

/** How drover runs the service. notify, dbus, idle and exec run as simple (see warnings). */
export type ServiceType = 'simple' | 'oneshot' | 'forking';
export type SystemdServiceType = 'simple' | 'exec' | 'forking' | 'oneshot' | 'dbus' | 'notify' | 'idle';
export type RestartMode = 'no' | 'always' | 'on-success' | 'on-failure' | 'on-abnormal' | 'on-abort' | 'on-watchdog';
export type KillMode = 'control-group' | 'process' | 'mixed' | 'none';

export interface PathSetting {
  path: string;
  /** "-" prefix: a missing file or directory is not an error. */
  ignoreMissing: boolean;
}

export interface UnitDependencies {
  /** Start after these (when both start together); stop before them. */
  after: string[];
  /** Start before these. */
  before: string[];
  /** Start these too; fail if they fail; stop when they stop. */
  requires: string[];
  /** Like requires, but only if they are already running. */
  requisite: string[];
  /** Start these too; their failure does not matter. */
  wants: string[];
  /** Like requires, and also stop when they stop on their own. */
  bindsTo: string[];
  /** Stop and restart together with these. */
  partOf: string[];
  /** Never run at the same time as these. */
  conflicts: string[];
}

export interface ServiceUnit {
  description: string | undefined;
  /** How to run it. */
  type: ServiceType;
  /** What systemd would run it as (Type=, or its default). */
  systemdType: SystemdServiceType;
  execStartPre: ExecCommand[];
  /** Exactly one, except for oneshot services (zero or more). */
  execStart: ExecCommand[];
  execStartPost: ExecCommand[];
  execReload: ExecCommand[];
  execStop: ExecCommand[];
  execStopPost: ExecCommand[];
  /** Environment= assignments; EnvironmentFile= contents (read at start) override them. */
  environment: Record<string, string>;
  /** Read at start, in order, each overriding the previous (parseEnvironmentFile). */
  environmentFiles: PathSetting[];
  /** undefined: the manager's directory ("/" for systemd); home: "~" (the User='s home). */
  workingDirectory: (PathSetting & { home: false }) | { home: true; ignoreMissing: boolean } | undefined;
  user: string | undefined;
  group: string | undefined;
  restart: RestartMode;
  restartSecMs: number;
  /** StartLimitIntervalSec= and StartLimitBurst=: more starts than the burst within the interval fail the unit (0: no limit). */
  startLimitIntervalMs: number;
  startLimitBurst: number;
  /** Infinity: no timeout. */
  timeoutStartMs: number;
  timeoutStopMs: number;
  remainAfterExit: boolean;
  /** Type=forking: where the daemon writes its main PID. */
  pidFile: string | undefined;
  killMode: KillMode;
  /** A signal name, such as "SIGTERM". */
  killSignal: string;
  dependencies: UnitDependencies;
  /** What systemd would log and ignore, and what drover does not support. */
  warnings: UnitWarning[];
}

const DEFAULT_TIMEOUT_MS = 90_000; // DefaultTimeoutStartSec=, DefaultTimeoutStopSec=
const DEFAULT_RESTART_SEC_MS = 100;
// DefaultStartLimitIntervalSec= and DefaultStartLimitBurst= of systemd-system.conf(5).
const DEFAULT_START_LIMIT_INTERVAL_MS = 10_000;
const DEFAULT_START_LIMIT_BURST = 5;

/** A service unit with no settings; `warnings` is kept as given (it becomes the unit's list). */
export function defaultServiceUnit(warnings: UnitWarning[]): ServiceUnit {
  return {
    description: undefined,
    type: 'simple',
    systemdType: 'simple',
    execStartPre: [],
    execStart: [],
    execStartPost: [],
    execReload: [],
    execStop: [],
    execStopPost: [],
    environment: {},
    environmentFiles: [],
    workingDirectory: undefined,
    user: undefined,
    group: undefined,
    restart: 'no',
    restartSecMs: DEFAULT_RESTART_SEC_MS,
    startLimitIntervalMs: DEFAULT_START_LIMIT_INTERVAL_MS,
    startLimitBurst: DEFAULT_START_LIMIT_BURST,
    timeoutStartMs: DEFAULT_TIMEOUT_MS,
    timeoutStopMs: DEFAULT_TIMEOUT_MS,
    remainAfterExit: false,
    pidFile: undefined,
    killMode: 'control-group',
    killSignal: 'SIGTERM',
    dependencies: { after: [], before: [], requires: [], requisite: [], wants: [], bindsTo: [], partOf: [], conflicts: [] },
    warnings,
  };
}
