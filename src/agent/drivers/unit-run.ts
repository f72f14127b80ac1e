// One run of a service unit: its start sequence (ExecStartPre, the main process per Type=,
// ExecStartPost), its stop sequence (ExecStop, the kill signal, SIGKILL after the stop timeout,
// ExecStopPost) and the systemd-style states in between. The main process runs under the shim in
// the task's directory, exactly like an exec task (so it is adopted the same way); the control
// commands run under their own shims in exec/<step>/, their output going to the task's log.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceUnit, UnitDependencies } from '../../units/index.js';
import { isAlive } from '../proc.js';
import { Supervised, type ExitStatus } from '../supervisor.js';
import type { Credentials } from '../run-as.js';
import type { Run, UnitState } from './driver.js';
import { commandArgv, describeExit, exitEnvironment, oneshotScript } from './unit-commands.js';
import type { CoordinatedRun, UnitCoordinator } from './unit-coordinator.js';

/** What survives an agent restart, in unit.json: how far the start got. */
export interface UnitRunRecord {
  phase: 'start-pre' | 'main' | 'exited' | 'parked';
}

export interface UnitRunOptions {
  unitName: string;
  unit: ServiceUnit;
  dir: string;
  env: Record<string, string>;
  cwd: string;
  /** The uid and gid its processes run as (User=, Group=); none: the agent's. */
  credentials?: Credentials;
  shimPath: string;
  logMaxBytes: number;
  coordinator: UnitCoordinator;
  /** SIGTERM → SIGKILL delay: TimeoutStopSec= when the unit sets it, else the task's grace period. */
  stopTimeoutMs: number | undefined;
  onUnitState?: (state: UnitState) => void;
}

// setTimeout takes at most a signed 32-bit delay; "infinity" means "as long as this".
const MAX_TIMER_MS = 2 ** 31 - 1;
const FORKING_POLL_MS = 20;
const OK: ExitStatus = { code: 0, signal: null, finishedAt: new Date(0) };

export class UnitFailure extends Error {
  constructor(
    message: string,
    readonly status: ExitStatus,
  ) {
    super(message);
  }
}

export class UnitRun implements Run, CoordinatedRun {
  readonly exited: Promise<ExitStatus>;
  private resolveExit!: (s: ExitStatus) => void;
  private current: UnitState = { load: 'loaded', active: 'activating', sub: 'start' };
  private main: Supervised | undefined;
  private control: Supervised | undefined;
  private mainStatus: ExitStatus | undefined;
  private stopping: Promise<ExitStatus> | undefined;
  private starting: Promise<void> | undefined;
  private parked = false;
  private parking: Promise<void> | undefined;
  private ended = false;
  private detached = false;

  constructor(private readonly o: UnitRunOptions) {
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  get unitName(): string {
    return this.o.unitName;
  }

  get dependencies(): UnitDependencies {
    return this.o.unit.dependencies;
  }

  get state(): UnitState {
    return this.current;
  }

  get isParked(): boolean {
    return this.parked;
  }

  get pid(): number | undefined {
    if (this.o.unit.type === 'forking' && this.o.unit.pidFile) {
      const n = Number(safeRead(this.o.unit.pidFile)?.trim());
      if (Number.isInteger(n) && n > 0) return n;
    }
    const id = this.main?.isRunning ? this.main.pid : undefined;
    // Type=forking: the process ExecStart= started is gone once the daemon runs.
    return id && (this.o.unit.type !== 'forking' || isAlive(id)) ? id.pid : undefined;
  }

  unitState(): UnitState {
    return this.current;
  }

  signal(signal: NodeJS.Signals): boolean {
    return this.main?.signal(signal) ?? false;
  }

  detach(): void {
    this.detached = true;
    this.main?.detach();
    this.control?.detach();
    this.o.coordinator.unregister(this);
  }

  /** The whole start sequence; throws UnitFailure when the unit fails to start (nothing left running). */
  async start(): Promise<void> {
    const { unit, dir } = this.o;
    rmSync(join(dir, 'exec'), { recursive: true, force: true });
    for (const f of ['exit', 'pid', 'shim.pid', 'shim.error', 'unit.json']) rmSync(join(dir, f), { force: true });
    this.o.coordinator.register(this);
    this.setState('activating', 'start');
    await this.o.coordinator.waitForOrder(this, () => this.stopping !== undefined);
    if (unit.execStartPre.length > 0) {
      this.record({ phase: 'start-pre' });
      this.setState('activating', 'start-pre');
      await this.runControl('start-pre', unit.execStartPre, this.o.env, unit.timeoutStartMs);
    }
    this.setState('activating', 'start');
    if (unit.type === 'oneshot') {
      if (unit.execStart.length === 0) return void (await this.finishOneshot(OK)); // RemainAfterExit=yes without ExecStart=: only Pre/Post
      const script = oneshotScript(unit.execStart.map((c) => ({ argv: commandArgv(c, this.o.env), ignoreFailure: c.ignoreFailure })));
      await this.startMain(['/bin/sh', '-c', script, 'sh']);
      return; // activating until the commands are done: see onMainExit
    }
    const main = await this.startMain(commandArgv(unit.execStart[0]!, this.o.env));
    if (unit.type === 'forking') await this.waitForkParent(main);
    if (!main.isRunning && !this.stopping) {
      // Gone already: for simple services that is the run ending; forking without a daemon likewise.
      return;
    }
    await this.startPost();
  }

  /** A run a previous agent left; `record` says how far its start got. */
  adopt(record: UnitRunRecord): void {
    this.o.coordinator.register(this);
    if (record.phase === 'exited') {
      this.setState('active', 'exited');
      return;
    }
    if (record.phase === 'parked') {
      this.parked = true;
      this.setState('inactive', 'dead');
      if (this.o.unit.dependencies.bindsTo.concat(this.o.unit.dependencies.requires).some((n) => this.o.coordinator.get(n)?.state.active === 'active')) this.unpark();
      return;
    }
    const main = Supervised.adopt(this.o.dir)!;
    this.watchMain(main);
    this.setState(this.o.unit.type === 'oneshot' ? 'activating' : 'active', this.o.unit.type === 'oneshot' ? 'start' : 'running');
  }

  stop(graceMs: number): Promise<ExitStatus> {
    return (this.stopping ??= (async () => {
      if (this.ended) return this.mainStatus ?? OK;
      await this.parking;
      await this.starting?.catch(() => {});
      if (this.parked) {
        this.parked = false;
        return this.end(this.mainStatus ?? OK);
      }
      const status = await this.stopSequence(graceMs);
      return this.end(status);
    })());
  }

  /** Stop because a unit this one binds to went away; start again when it is back. */
  park(): void {
    if (this.parked || this.stopping || this.ended) return;
    this.parked = true;
    this.parking = (async () => {
      const status = await this.stopSequence(this.o.stopTimeoutMs ?? 10_000);
      this.mainStatus = status;
      if (!this.ended && !this.detached) this.record({ phase: 'parked' });
      this.setState('inactive', 'dead');
    })();
  }

  unpark(): void {
    if (!this.parked || this.stopping || this.ended) return;
    void (async () => {
      await this.parking;
      if (!this.parked || this.stopping) return;
      this.parked = false;
      this.parking = undefined;
      this.main = undefined;
      this.mainStatus = undefined;
      try {
        await (this.starting = this.start());
      } catch (err) {
        this.end(err instanceof UnitFailure ? err.status : { code: 1, signal: null, finishedAt: new Date() });
      }
    })();
  }

  private async startMain(argv: string[]): Promise<Supervised> {
    const main = await Supervised.start(this.o.dir, { argv, env: this.o.env, cwd: this.o.cwd, credentials: this.o.credentials }, this.o.shimPath, this.o.logMaxBytes);
    this.record({ phase: 'main' });
    await main.waitStarted();
    this.watchMain(main);
    return main;
  }

  private watchMain(main: Supervised): void {
    this.main = main;
    void main.exited.then((status) => {
      if (this.main !== main || this.detached) return;
      this.mainStatus = status;
      if (this.stopping || this.parked) return; // the stop sequence owns what happens next
      void this.onMainExit(status);
    });
  }

  /** The main process ended on its own. */
  private async onMainExit(status: ExitStatus): Promise<void> {
    if (this.o.unit.type === 'oneshot' && status.code === 0) return this.finishOneshot(status);
    // systemd runs the stop commands even when the service ended by itself ($MAINPID unset).
    await this.stopSequence(0);
    this.end(status);
  }

  private async finishOneshot(status: ExitStatus): Promise<void> {
    try {
      await this.startPost();
    } catch (err) {
      if (err instanceof UnitFailure) return void this.end(err.status);
      throw err;
    }
    if (this.o.unit.remainAfterExit) {
      this.record({ phase: 'exited' });
      this.setState('active', 'exited');
      return;
    }
    await this.stopSequence(0);
    this.end(status);
  }

  private async startPost(): Promise<void> {
    const { unit } = this.o;
    if (unit.execStartPost.length > 0) {
      this.setState('activating', 'start-post');
      try {
        await this.runControl('start-post', unit.execStartPost, this.mainEnv(), unit.timeoutStartMs);
      } catch (err) {
        if (this.main?.isRunning) await this.main.stop(this.killTimeout(10_000), this.killSignal());
        throw err;
      }
    }
    if (this.stopping || this.parked || this.ended) return;
    if (unit.type === 'oneshot') return;
    this.setState('active', 'running');
  }

  /** Type=forking: the start is over when the process ExecStart= started has exited (its daemon lives on). */
  private async waitForkParent(main: Supervised): Promise<void> {
    const first = main.pid;
    const limit = Number.isFinite(this.o.unit.timeoutStartMs) ? this.o.unit.timeoutStartMs : Infinity;
    const deadline = Date.now() + limit;
    while (first && main.isRunning && isAlive(first)) {
      if (Date.now() > deadline) {
        const status = await main.stop(this.killTimeout(10_000), 'SIGKILL');
        throw new UnitFailure('start operation timed out (TimeoutStartSec=)', status);
      }
      await new Promise((r) => setTimeout(r, FORKING_POLL_MS));
    }
  }

  /** ExecStop=, then the kill signal and SIGKILL for what is left, then ExecStopPost=; the main process's status. */
  private async stopSequence(graceMs: number): Promise<ExitStatus> {
    const { unit } = this.o;
    this.control?.signal('SIGKILL'); // a start command still running is abandoned
    const timeout = this.killTimeout(graceMs);
    const wasActive = this.current.active === 'active' || this.current.active === 'activating';
    this.setState('deactivating', 'stop');
    if (wasActive && unit.execStop.length > 0) {
      await this.runControl('stop', unit.execStop, { ...this.mainEnv(), ...exitEnvironment(this.mainStatus) }, unit.timeoutStopMs, true);
    }
    let status = this.mainStatus;
    const main = this.main;
    if (main?.isRunning) {
      this.setState('deactivating', 'stop-sigterm');
      status = await main.stop(timeout, this.killSignal());
    }
    if (unit.execStopPost.length > 0) {
      this.setState('deactivating', 'stop-post');
      await this.runControl('stop-post', unit.execStopPost, { ...this.o.env, ...exitEnvironment(status) }, unit.timeoutStopMs, true);
    }
    return status ?? OK;
  }

  private end(status: ExitStatus): ExitStatus {
    if (this.ended) return status;
    this.ended = true;
    this.mainStatus = status;
    const failed = !this.stopping && status.code !== 0;
    this.setState(failed ? 'failed' : 'inactive', failed ? 'failed' : 'dead');
    rmSync(join(this.o.dir, 'unit.json'), { force: true });
    this.resolveExit(status);
    return status;
  }

  /**
   * Runs control commands in order, each to completion under its own shim. A failing one throws
   * UnitFailure unless it has the "-" prefix or `keepGoing` (stop commands: the stop goes on).
   */
  private async runControl(step: string, commands: ServiceUnit['execStart'], env: Record<string, string>, timeoutMs: number, keepGoing = false): Promise<void> {
    for (const [i, cmd] of commands.entries()) {
      if (this.detached) return;
      const dir = join(this.o.dir, 'exec', `${step}-${i}`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      // The shim appends to dir/output.log: let that be the task's own log.
      symlinkSync(join(this.o.dir, 'output.log'), join(dir, 'output.log'));
      const argv = commandArgv(cmd, env);
      const run = await Supervised.start(dir, { argv, env, cwd: this.o.cwd, credentials: this.o.credentials }, this.o.shimPath, this.o.logMaxBytes);
      this.control = run;
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => run.signal('SIGKILL'), Math.min(timeoutMs, MAX_TIMER_MS)) : undefined;
      const status = await run.exited;
      clearTimeout(timer);
      this.control = undefined;
      if (status.code !== 0 && !cmd.ignoreFailure && !keepGoing) {
        throw new UnitFailure(`Exec${stepName(step)}= command ${JSON.stringify(argv.join(' '))} ${describeExit(status)}`, status);
      }
    }
  }

  private mainEnv(): Record<string, string> {
    const pid = this.main?.isRunning ? this.pid : undefined;
    return pid ? { ...this.o.env, MAINPID: String(pid) } : this.o.env;
  }

  private killTimeout(graceMs: number): number {
    return Math.min(this.o.stopTimeoutMs ?? graceMs, MAX_TIMER_MS);
  }

  private killSignal(): NodeJS.Signals {
    return this.o.unit.killSignal as NodeJS.Signals;
  }

  private record(r: UnitRunRecord): void {
    writeFileSync(join(this.o.dir, 'unit.json'), JSON.stringify(r));
  }

  private setState(active: string, sub: string): void {
    if (this.detached) return;
    if (this.current.active === active && this.current.sub === sub) return;
    this.current = { load: 'loaded', active, sub };
    this.o.onUnitState?.(this.current);
    this.o.coordinator.changed(this);
  }
}

/** How far a previous agent's run got, from unit.json; undefined when it never got to run anything. */
export function readRunRecord(dir: string): UnitRunRecord | undefined {
  const text = safeRead(join(dir, 'unit.json'));
  if (!text) return undefined;
  try {
    return JSON.parse(text) as UnitRunRecord;
  } catch {
    return undefined;
  }
}

/** Kills control commands a previous agent left running (its start was cut short). */
export function killLeftoverControls(dir: string): void {
  const execDir = join(dir, 'exec');
  if (!existsSync(execDir)) return;
  for (const name of readdirSync(execDir)) Supervised.adopt(join(execDir, name))?.signal('SIGKILL');
}

function stepName(step: string): string {
  return { 'start-pre': 'StartPre', 'start-post': 'StartPost', stop: 'Stop', 'stop-post': 'StopPost' }[step] ?? step;
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
