// Pure pieces of the unit driver: which name a task's unit has, what argv a systemd command line
// becomes, the script a Type=oneshot service runs, and what Restart= means for an exit.
import { accessSync, constants } from 'node:fs';
import type { Task } from '../../client/client.js';
import { expandCommandLine, isValidSystemdUnitName, type ExecCommand, type RestartMode } from '../../units/index.js';
import type { ExitStatus } from '../supervisor.js';
import type { RestartDecision } from './driver.js';

/** systemd 252's fixed search path for a bare executable name in Exec*= lines. */
export const SYSTEMD_EXEC_SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * The unit's name: the owning Service's name (fleet units are Services named "web.service" or
 * "backup.timer"), else the task's; ".service" is added when it has no unit type, so native
 * names like "web" work too.
 */
export function unitNameOf(task: Task): string | undefined {
  const base = task.metadata.ownerReferences?.find((r) => r.controller)?.name ?? task.metadata.name;
  if (isValidSystemdUnitName(base)) return base;
  const name = `${base}.service`;
  return isValidSystemdUnitName(name) ? name : undefined;
}

/** The first executable file named `name` in `dirs`, or undefined. */
export function findExecutable(name: string, dirs: readonly string[] = SYSTEMD_EXEC_SEARCH_PATH): string | undefined {
  for (const dir of dirs) {
    const path = `${dir}/${name}`;
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The argv the shim executes for a command: the executable (a bare name looked up in systemd's
 * search path) and its arguments after $VAR expansion. The shim execs argv[0], so an "@" argv[0]
 * override cannot be honoured: the program sees its path as argv[0].
 */
export function commandArgv(cmd: ExecCommand, env: Readonly<Record<string, string>>, lookup: (name: string) => string | undefined = findExecutable): string[] {
  const path = cmd.path.includes('/') ? cmd.path : (lookup(cmd.path) ?? cmd.path);
  return [path, ...expandCommandLine({ ...cmd, argv: cmd.argv.slice(1) }, env)];
}

export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * A Type=oneshot service's ExecStart= commands as one /bin/sh script, so the whole sequence is a
 * single shim-supervised run: one pid and exit status to adopt after an agent restart, one process
 * group to stop. A failing command ends the script with its status unless it had the "-" prefix.
 */
export function oneshotScript(commands: ReadonlyArray<{ argv: readonly string[]; ignoreFailure: boolean }>): string {
  return commands.map((c) => `${c.argv.map(shellQuote).join(' ')} || ${c.ignoreFailure ? ':' : 'exit $?'}`).join('\n') + '\nexit 0\n';
}

/** systemd's "clean" exit for Restart=: code 0, or one of the signals a service may end by. */
export function isCleanExit(status: Pick<ExitStatus, 'code' | 'signal'>): boolean {
  if (status.signal) return ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGPIPE'].includes(status.signal);
  return status.code === 0;
}

/**
 * Restart= (systemd.service(5), table 2) for one exit, as the runner's policy; RestartSec= as the
 * delay, every time; StartLimitIntervalSec=/StartLimitBurst= as the limit that fails a unit
 * restarting too often (systemd's "start request repeated too quickly").
 */
export function restartDecision(
  unit: { restart: RestartMode; restartSecMs: number; startLimitIntervalMs: number; startLimitBurst: number },
  status: Pick<ExitStatus, 'code' | 'signal'>,
): RestartDecision {
  const { restart, restartSecMs } = unit;
  const clean = isCleanExit(status);
  const abnormalSignal = status.signal !== null && !clean;
  let restarts: boolean;
  switch (restart) {
    case 'always':
      restarts = true;
      break;
    case 'on-success':
      restarts = clean;
      break;
    case 'on-failure':
      restarts = !clean;
      break;
    case 'on-abnormal':
    case 'on-abort':
      restarts = abnormalSignal;
      break;
    default: // no, on-watchdog (drover has no watchdog)
      restarts = false;
  }
  const startLimit = unit.startLimitIntervalMs > 0 && unit.startLimitBurst > 0 ? { intervalMs: unit.startLimitIntervalMs, burst: unit.startLimitBurst } : undefined;
  return { policy: restarts ? 'always' : 'never', delayMs: restartSecMs, fixedDelay: true, ...(startLimit ? { startLimit } : {}) };
}

/** The variables systemd gives ExecStop= and ExecStopPost= about how the main process ended. */
export function exitEnvironment(status: Pick<ExitStatus, 'code' | 'signal'> | undefined): Record<string, string> {
  if (!status) return { SERVICE_RESULT: 'success' };
  if (status.signal) {
    return { SERVICE_RESULT: isCleanExit(status) ? 'success' : 'signal', EXIT_CODE: 'killed', EXIT_STATUS: status.signal.replace(/^SIG/, '') };
  }
  return { SERVICE_RESULT: status.code === 0 ? 'success' : 'exit-code', EXIT_CODE: 'exited', EXIT_STATUS: String(status.code) };
}

/** How a command ended, in words for a status message. */
export function describeExit(status: Pick<ExitStatus, 'code' | 'signal'>): string {
  return status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
}
