// The unit driver: runs a task whose template carries systemd unit options (fleet units) the
// way systemd 252 would run the service: ExecStartPre/ExecStart/ExecStartPost, ExecStop/
// ExecStopPost, Environment=/EnvironmentFile=, WorkingDirectory=, Type=simple|oneshot|forking,
// RemainAfterExit=, Restart=/RestartSec= (through the runner's restart policy),
// TimeoutStopSec=, KillSignal=, and After=/Before=/BindsTo=/Requires= between the units of this
// machine (unit-coordinator.ts). States are reported as systemd's load/active/sub, with the
// unit file's SHA-1 as fleet shows it. A .timer unit runs no process: it starts the unit it
// activates when it elapses (unit-timer.ts). Other unit types (.socket, .mount, .target…) are not
// run: their start fails at once, saying so. Meaning comes from src/units (pure); this file does I/O.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Task } from '../../client/client.js';
import { interpretService, interpretTimer, parseEnvironmentFile, parseUnitName, unitHash, type ServiceUnit, type TimerUnit } from '../../units/index.js';
import type { ExitStatus } from '../supervisor.js';
import type { Driver, RestartDecision, Run, StartContext } from './driver.js';
import { restartDecision, unitNameOf } from './unit-commands.js';
import { UnitCoordinator } from './unit-coordinator.js';
import { killLeftoverControls, readRunRecord, UnitFailure, UnitRun } from './unit-run.js';
import { resolveRunAs } from '../run-as.js';
import { TimerRun, type TimerRunOptions } from './unit-timer.js';

export interface UnitDriverOptions {
  shimPath: string;
  logMaxBytes: number;
  coordinator?: UnitCoordinator;
  /** Where Persistent= timers keep their stamps (the agent's data dir); by default each task's own directory. */
  timerStampDir?: string;
}

/** Unit types the driver runs; any other fails to start, with unsupportedTypeMessage. */
const RUNNABLE_TYPES = new Set(['service', 'timer']);

export class UnitDriver implements Driver {
  readonly name = 'unit';
  private readonly coordinator: UnitCoordinator;
  /** Interpreted units by template text: restartPolicy and unitHash are asked often. */
  private readonly cache = new Map<string, { unit?: ServiceUnit; hash: string }>();
  /** When this agent started (OnStartupSec=). */
  private readonly startupAt = Date.now();

  constructor(private readonly opts: UnitDriverOptions) {
    this.coordinator = opts.coordinator ?? new UnitCoordinator();
  }

  async start(task: Task, ctx: StartContext): Promise<Run> {
    const type = unitTypeOf(task);
    if (!RUNNABLE_TYPES.has(type)) throw new Error(unsupportedTypeMessage(task, type));
    if (type === 'timer') return TimerRun.start(this.timerOptions(task, ctx, this.interpretTimer(task, ctx)));
    const unit = this.interpret(task, ctx); // throws systemd's reason when it would not load
    const env = { ...ctx.baseEnv, ...unit.environment, ...readEnvironmentFiles(unit) };
    const run = this.newRun(task, ctx, unit, env);
    try {
      await run.start();
    } catch (err) {
      run.detach();
      if (err instanceof UnitFailure) throw new Error(err.message);
      throw err;
    }
    return run;
  }

  adopt(task: Task, ctx: StartContext): Run | undefined {
    const type = unitTypeOf(task);
    if (type === 'timer') {
      try {
        return TimerRun.adopt(this.timerOptions(task, ctx, this.interpretTimer(task, ctx)));
      } catch {
        return undefined;
      }
    }
    if (!RUNNABLE_TYPES.has(type)) return undefined;
    const record = readRunRecord(ctx.dir);
    if (!record || record.phase === 'start-pre') {
      // The previous agent died while starting: what it left is stopped, and the start is redone.
      killLeftoverControls(ctx.dir);
      return undefined;
    }
    let unit: ServiceUnit;
    let env: Record<string, string>;
    try {
      unit = this.interpret(task, ctx);
      env = { ...ctx.baseEnv, ...unit.environment, ...readEnvironmentFiles(unit) };
    } catch {
      return undefined;
    }
    const run = this.newRun(task, ctx, unit, env);
    run.adopt(record);
    return run;
  }

  restartPolicy(task: Task, exit: ExitStatus): RestartDecision {
    const unit = this.cached(task).unit;
    // systemd's default is Restart=no; a unit that does not load is never restarted.
    return unit ? restartDecision(unit, exit) : { policy: 'never' };
  }

  unitHash(task: Task): string | undefined {
    return task.spec.template.unit ? this.cached(task).hash : undefined;
  }

  private newRun(task: Task, ctx: StartContext, unit: ServiceUnit, env: Record<string, string>): UnitRun {
    return new UnitRun({
      unitName: unitNameOf(task) ?? task.metadata.name,
      unit,
      dir: ctx.dir,
      env,
      cwd: workingDirectory(unit),
      credentials: resolveRunAs(task.spec.template.user, task.spec.template.group),
      shimPath: this.opts.shimPath,
      logMaxBytes: this.opts.logMaxBytes,
      coordinator: this.coordinator,
      stopTimeoutMs: setsStopTimeout(task) ? unit.timeoutStopMs : undefined,
      onUnitState: ctx.onUnitState,
    });
  }

  private timerOptions(task: Task, ctx: StartContext, timer: TimerUnit): TimerRunOptions {
    const unitName = unitNameOf(task)!;
    return {
      unitName,
      timer,
      dir: ctx.dir,
      stampPath: join(this.opts.timerStampDir ?? ctx.dir, `stamp-${unitName}`),
      units: ctx.units,
      startupAt: this.startupAt,
      onUnitState: ctx.onUnitState,
      onMessage: ctx.onMessage,
    };
  }

  private interpretTimer(task: Task, ctx: StartContext): TimerUnit {
    return interpretTimer(task.spec.template.unit ?? [], { unitName: unitNameOf(task)!, specifiers: { hostname: hostname(), machineId: ctx.baseEnv.DROVER_MACHINE } });
  }

  private interpret(task: Task, ctx: StartContext): ServiceUnit {
    return interpretService(task.spec.template.unit ?? [], {
      unitName: unitNameOf(task),
      specifiers: { hostname: hostname(), machineId: ctx.baseEnv.DROVER_MACHINE },
    });
  }

  private cached(task: Task): { unit?: ServiceUnit; hash: string } {
    const options = task.spec.template.unit ?? [];
    const key = `${unitNameOf(task)}\n${JSON.stringify(options)}`;
    let hit = this.cache.get(key);
    if (!hit) {
      let unit: ServiceUnit | undefined;
      try {
        unit = interpretService(options, { unitName: unitNameOf(task) });
      } catch {
        unit = undefined;
      }
      if (this.cache.size > 1000) this.cache.clear();
      this.cache.set(key, (hit = { unit, hash: unitHash(options) }));
    }
    return hit;
  }
}

/** The unit's type: "service" for native names ("web"), else its suffix ("backup.timer"). */
function unitTypeOf(task: Task): string {
  return parseUnitName(unitNameOf(task) ?? `${task.metadata.name}.service`)?.type ?? 'service';
}

/** Why a unit of a type drover does not run fails, and what to do instead. */
export function unsupportedTypeMessage(task: Task, type: string): string {
  const name = unitNameOf(task) ?? task.metadata.name;
  return `drover does not run .${type} units (only .service and .timer units): ${JSON.stringify(name)} is left failed; run the service it stands for as a .service unit instead`;
}

/** EnvironmentFile= contents, in order; "-" files may be missing (systemd's message otherwise). */
export function readEnvironmentFiles(unit: ServiceUnit): Record<string, string> {
  const env: Record<string, string> = {};
  for (const f of unit.environmentFiles) {
    let text: string;
    try {
      text = readFileSync(f.path, 'utf8');
    } catch (err) {
      if (f.ignoreMissing) continue;
      throw new Error(`failed to load environment files: ${f.path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
    Object.assign(env, parseEnvironmentFile(text).env);
  }
  return env;
}

/** WorkingDirectory=, "/" by default as for systemd's system manager; "-" lets a missing one fall back to "/". */
export function workingDirectory(unit: ServiceUnit): string {
  const wd = unit.workingDirectory;
  if (!wd) return '/';
  const path = wd.home ? (process.env.HOME ?? '/') : wd.path;
  return wd.ignoreMissing && !existsSync(path) ? '/' : path;
}

/** Whether the unit says how long a stop may take; if not, the task's stopGraceSeconds applies (not systemd's 90 s). */
function setsStopTimeout(task: Task): boolean {
  return (task.spec.template.unit ?? []).some((o) => o.section === 'Service' && (o.name === 'TimeoutStopSec' || o.name === 'TimeoutSec'));
}
