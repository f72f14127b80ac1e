// One task on this machine: starts, restarts (per its policy, with exponential backoff) and
// stops its runs, and reports each step. Every change funnels through `update`, and steps run
// one at a time, so a burst of events never starts a task twice.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_FINALIZER, parseBytes, type ResourceUsage } from '../model/index.js';
import type { Client, Task } from '../client/client.js';
import type { Driver, Run, UnitState } from './drivers/driver.js';
import { describeExit } from './exit-description.js';
import type { StatusReporter } from './status-reporter.js';
import type { ExitStatus } from './supervisor.js';
import type { MeasuredTask } from './usage-monitor.js';

export interface RunnerContext {
  machine: string;
  tasksDir: string;
  client: Client;
  reporter: StatusReporter;
  driverFor(task: Task): Driver;
  baseEnv(task: Task): Record<string, string>;
  forget(uid: string): void;
  /** A run began (started or adopted): the usage monitor looks at it soon. */
  runStarted(): void;
  onError(err: unknown, what: string): void;
}

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 30_000;
/** A run that lasted this long resets the backoff. */
const BACKOFF_RESET_MS = 10_000;

interface Saved {
  task: Task;
  restarts: number;
}

export class TaskRunner {
  private task: Task | undefined;
  private run: Run | undefined;
  private runTemplate = '';
  private restarts = 0;
  private failures = 0;
  private finished = false;
  private backoff: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private busy = false;
  private dirty = false;
  private closed = false;
  readonly dir: string;

  constructor(
    private readonly ctx: RunnerContext,
    readonly uid: string,
  ) {
    this.dir = join(ctx.tasksDir, uid);
  }

  /** A runner for a task directory a previous agent left, re-attached to its run if one is alive or ended unseen. */
  static adopt(ctx: RunnerContext, uid: string): TaskRunner | undefined {
    const r = new TaskRunner(ctx, uid);
    let saved: Saved;
    try {
      saved = JSON.parse(readFileSync(join(r.dir, 'task.json'), 'utf8')) as Saved;
    } catch {
      return undefined;
    }
    r.task = saved.task;
    r.restarts = saved.restarts;
    r.runTemplate = JSON.stringify(saved.task.spec.template);
    const run = ctx.driverFor(saved.task).adopt(saved.task, r.startContext(saved.task));
    if (run) r.attach(run, Date.now());
    return r;
  }

  get name(): string | undefined {
    return this.task?.metadata.name;
  }

  get pid(): number | undefined {
    return this.run?.pid;
  }

  get currentRun(): Run | undefined {
    return this.run;
  }

  get currentTask(): Task | undefined {
    return this.task;
  }

  /** The task as the server now has it, or undefined when it is gone from this machine. */
  update(task: Task | undefined): void {
    this.task = task;
    this.kick();
  }

  /** Agent shutdown: leave processes running (their shims keep them) unless `stop`. */
  async close(stop: boolean): Promise<void> {
    this.closed = true;
    clearTimeout(this.backoff);
    const run = this.run;
    if (!run) return;
    if (stop) {
      this.run = undefined;
      await run.stop(this.graceMs());
    } else {
      run.detach();
    }
  }

  signal(signal: NodeJS.Signals): boolean {
    return this.run?.signal(signal) ?? false;
  }

  /** The current run, for the usage monitor: when it has a supervisor to measure from. */
  measured(): MeasuredTask | undefined {
    const run = this.run;
    const t = this.task;
    if (!run?.supervisor || !t) return undefined;
    // A template's memory is what placing it reserves and the most it may use; none (or 0) reserves nothing and limits nothing.
    const limit = parseBytes(t.spec.template.resources?.memory ?? 0);
    return {
      uid: this.uid,
      root: run.supervisor,
      memoryLimitBytes: limit > 0 ? limit : undefined,
      reportedUsage: t.status?.usage,
      report: (usage: ResourceUsage) => this.report(t, { usage }),
      killForMemory: (exceeded, pids) => run.killForMemory?.(exceeded, pids),
    };
  }

  private kick(): void {
    if (this.closed) return;
    if (this.busy) {
      this.dirty = true;
      return;
    }
    this.busy = true;
    void (async () => {
      try {
        do {
          this.dirty = false;
          await this.step();
        } while (this.dirty && !this.closed);
      } catch (err) {
        this.ctx.onError(err, `task ${this.name ?? this.uid}`);
      } finally {
        this.busy = false;
      }
    })();
  }

  private async step(): Promise<void> {
    const t = this.task;
    const gone = !t || t.spec.machine !== this.ctx.machine || t.metadata.deletionTimestamp !== undefined || t.status?.phase === 'Lost';
    if (gone) return this.retire(t);
    const desired = t.spec.desiredState ?? 'running';
    if (desired !== 'running') {
      clearTimeout(this.backoff);
      this.backoff = undefined;
      this.finished = false;
      if (this.run) await this.stopRun(t);
      const phase = desired === 'loaded' ? 'Scheduled' : 'Stopped';
      if (t.status?.phase !== phase) this.report(t, { phase, pid: null, unitState: { load: 'loaded', active: 'inactive', sub: 'dead' } });
      return;
    }
    if (this.run && JSON.stringify(t.spec.template) !== this.runTemplate) {
      // The template changed under a running task: run the new one.
      await this.stopRun(t);
      this.restarts++;
    }
    if (this.run || this.finished || this.backoff) return;
    await this.startRun(t);
  }

  private async startRun(t: Task): Promise<void> {
    this.runTemplate = JSON.stringify(t.spec.template);
    // A run's leftovers only exist in a directory an earlier run made (rmSync's lstats per file
    // were the hollow fleet's largest cost at 40k tasks).
    const fresh = mkdirSync(this.dir, { recursive: true }) !== undefined;
    if (!fresh) for (const f of ['exit', 'pid', 'shim.pid', 'shim.error', 'oom']) rmSync(join(this.dir, f), { force: true });
    this.save(t);
    this.report(t, { phase: 'Starting', unitState: { load: 'loaded', active: 'activating', sub: 'start' } });
    let run: Run;
    try {
      run = await this.ctx.driverFor(t).start(t, this.startContext(t));
    } catch (err) {
      this.finished = true;
      this.report(t, { phase: 'Failed', reason: 'StartFailed', message: (err as Error).message, unitState: { load: 'loaded', active: 'failed', sub: 'failed' } });
      return;
    }
    const startedAt = Date.now();
    this.attach(run, startedAt);
    this.report(t, {
      phase: 'Running',
      pid: run.pid ?? null,
      restarts: this.restarts,
      startedAt: new Date(startedAt).toISOString(),
      reason: '',
      message: '',
      exitCode: null,
      signal: null,
      unitState: run.unitState?.() ?? { load: 'loaded', active: 'active', sub: 'running' },
    });
  }

  private attach(run: Run, startedAt: number): void {
    this.run = run;
    this.startedAt = startedAt;
    this.ctx.runStarted();
    void run.exited.then((status) => this.onExit(run, status));
  }

  private onExit(run: Run, status: ExitStatus): void {
    if (this.run !== run || this.closed) return; // a stop we asked for: stopRun reports it
    this.run = undefined;
    const t = this.task;
    if (!t) return;
    const decision = this.ctx.driverFor(t).restartPolicy?.(t, status);
    const policy = decision?.policy ?? t.spec.template.restartPolicy ?? 'never';
    const ok = status.code === 0;
    const exit = { exitCode: status.code, signal: status.signal, finishedAt: status.finishedAt.toISOString(), pid: null };
    const { how, reason } = describeExit(status);
    if (policy === 'always' || (policy === 'on-failure' && !ok)) {
      if (Date.now() - this.startedAt >= BACKOFF_RESET_MS) this.failures = 0;
      // A driver's own delay (RestartSec=) is a floor: a crash loop still backs off.
      const delay = Math.max(decision?.delayMs ?? 0, Math.min(BACKOFF_MIN_MS * 2 ** this.failures, BACKOFF_MAX_MS));
      this.failures++;
      this.restarts++;
      this.save(t);
      this.report(t, {
        ...exit,
        phase: 'Starting',
        restarts: this.restarts,
        reason: 'BackOff',
        message: `${how}; restarting in ${(delay / 1000).toFixed(1)}s (restart policy ${policy})`,
        lastTermination: { reason, message: how, exitCode: exit.exitCode, signal: exit.signal, finishedAt: exit.finishedAt },
        unitState: { load: 'loaded', active: 'activating', sub: 'auto-restart' },
      });
      this.backoff = setTimeout(() => {
        this.backoff = undefined;
        this.kick();
      }, delay);
      return;
    }
    this.finished = true;
    this.report(t, {
      ...exit,
      phase: ok ? 'Succeeded' : 'Failed',
      reason,
      message: how,
      unitState: ok ? { load: 'loaded', active: 'inactive', sub: 'dead' } : { load: 'loaded', active: 'failed', sub: 'failed' },
    });
  }

  private async stopRun(t: Task | undefined): Promise<void> {
    const run = this.run!;
    this.run = undefined;
    if (t) this.report(t, { phase: 'Stopping', unitState: { load: 'loaded', active: 'deactivating', sub: 'stop' } });
    const status = await run.stop(this.graceMs(t));
    if (t) {
      this.report(t, {
        phase: 'Stopped',
        pid: null,
        exitCode: status.code,
        signal: status.signal,
        finishedAt: status.finishedAt.toISOString(),
        unitState: { load: 'loaded', active: 'inactive', sub: 'dead' },
      });
    }
  }

  /** The task left this machine (deleted, moved, or replaced while we were away): stop and clean up. */
  private async retire(t: Task | undefined): Promise<void> {
    clearTimeout(this.backoff);
    this.backoff = undefined;
    if (this.run) await this.stopRun(undefined);
    if (t?.metadata.deletionTimestamp && t.metadata.finalizers?.includes(AGENT_FINALIZER) && t.spec.machine === this.ctx.machine) {
      try {
        await this.ctx.client.tasks.patch(t.metadata.name, {
          metadata: { uid: t.metadata.uid, finalizers: t.metadata.finalizers.filter((f) => f !== AGENT_FINALIZER) },
        });
      } catch (err) {
        if ((err as { code?: number }).code !== 404 && (err as { code?: number }).code !== 412) throw err;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    this.closed = true;
    this.ctx.forget(this.uid);
  }

  private report(t: Task, status: Task['status']): void {
    if (status?.unitState && status.unitState.hash === undefined) {
      const hash = this.ctx.driverFor(t).unitHash?.(t);
      if (hash) status = { ...status, unitState: { ...status.unitState, hash } };
    }
    this.ctx.reporter.report(t.metadata.uid, t.metadata.name, status);
  }

  private save(t: Task): void {
    mkdirSync(this.dir, { recursive: true });
    const saved: Saved = { task: t, restarts: this.restarts };
    writeFileSync(join(this.dir, 'task.json'), JSON.stringify(saved));
  }

  private graceMs(t = this.task): number {
    return (t?.spec.template.stopGraceSeconds ?? 10) * 1000;
  }

  private startContext(t: Task) {
    return {
      dir: this.dir,
      baseEnv: this.ctx.baseEnv(t),
      onUnitState: (unitState: UnitState) => this.report(t, { unitState }),
    };
  }
}
