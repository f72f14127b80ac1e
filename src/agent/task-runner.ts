// One task on this machine: starts, restarts (per its policy, with exponential backoff) and
// stops its runs, and reports each step. Every change funnels through `update`, and steps run
// one at a time, so a burst of events never starts a task twice. A unit loaded here (desired
// state `loaded`) runs only when activated (a timer's elapse): one run, after which it is loaded
// again, never finished, so it can be activated again.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_FINALIZER, DEFAULT_NAMESPACE, LIVENESS_FAILED, MISSING_BINARY, parseBytes, plainEnv, TASK_READY_CONDITION, usesSecrets, type CheckResult, type Condition, type ResolvedCheck, type ResourceUsage } from '../model/index.js';
import type { EventRecorder } from '../events/recorder.js';
import { TaskChecks, type ExecContext } from './checks/task-checks.js';
import { describeExit } from './exit-description.js';
import { resolveRunAs, runAsEnv } from './run-as.js';
import type { Client, Task } from '../client/client.js';
import { TaskCannotStart, type Driver, type MachineUnits, type Run, type UnitState } from './drivers/driver.js';
import { unitNameOf } from './drivers/unit-commands.js';
import { missingPrograms } from './required-programs.js';
import { planExit } from './run-exit.js';
import { secretFileOwner, writeSecretFiles } from './secret-files.js';
import type { StartGate } from './start-gate.js';
import type { StatusReporter } from './status-reporter.js';
import { awaitsPorts, portEnv, portStatus } from './task-ports.js';
import type { TaskVolumes, VolumeGrant } from './datasets/task-volumes.js';
import { readTaskRecord, writeTaskRecord } from './task-record.js';
import { readRunEnv, type ExitStatus } from './supervisor.js';
import type { MeasuredTask } from './usage-monitor.js';

export interface RunnerContext {
  machine: string;
  /** Paces starts across the machine's tasks. */
  startGate: StartGate;
  tasksDir: string;
  client: Client;
  reporter: StatusReporter;
  driverFor(task: Task): Driver;
  baseEnv(task: Task): Record<string, string>;
  /** The machine's address as the agent registered it (a task's ports are reached there). */
  address(): string;
  forget(uid: string): void;
  /** A run began (started or adopted): the usage monitor looks at it soon. */
  runStarted(): void;
  onError(err: unknown, what: string): void;
  /** This machine's units, for timers (see MachineUnits). */
  units?: MachineUnits;
  /** The task's unit became active, or inactive. */
  onUnitActivity?(runner: TaskRunner, isActive: boolean): void;
  /** Datasets for tasks with volumes (none: such tasks wait, this agent manages no datasets). */
  volumes?: TaskVolumes;
  /** Where the runner records events (check failures, restarts); none: it records nothing. */
  events?: EventRecorder;
  /** Resolves when a task being deleted no longer gets traffic (the ingress ports' view of its Endpoints), so it may stop. */
  untilUnrouted?: (namespace: string, task: string) => Promise<void>;
}

export class TaskRunner {
  private task: Task | undefined;
  private run: Run | undefined;
  private runTemplate = '';
  private restarts = 0;
  private failures = 0;
  private finished = false;
  /** A loaded unit asked to run once (a timer elapsed); cleared when that run is over. */
  private activated = false;
  /** The template a driver could not start on this machine (TaskCannotStart), as JSON. */
  private cannotStart?: string;
  /** The idle phase (Scheduled, Stopped) last reported since a run; undefined while running. */
  private idlePhase: string | undefined;
  private backoff: NodeJS.Timeout | undefined;
  private startedAt = 0;
  /** When the last runs started, newest last (a driver's start limit counts them). */
  private starts: number[] = [];
  /** Starts refused for want of a secret in a row (their retries back off). */
  private secretMisses = 0;
  private busy = false;
  private dirty = false;
  private closed = false;
  /** What close() asked for its run: stop it (drover dev) or leave it to its shim. */
  private closeStops = false;
  /** The steps under way (kick), which close() lets finish: a start in flight must not outlive it. */
  private stepping: Promise<void> | undefined;
  /** The current run's health checks (undefined between runs). */
  private checks: TaskChecks | undefined;
  /** A liveness check of the run `run` gave up: the next step restarts that run. */
  private livenessFailure: { run: Run; check: ResolvedCheck; output: string } | undefined;
  /** The Ready condition last reported, to report only its changes and keep its transition time. */
  private readyCondition: Condition | undefined;
  /** Everything this runner has reported, merged: said again when the server's view is Unknown. */
  private reported: NonNullable<Task['status']> = {};
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
    const saved = readTaskRecord(r.dir);
    if (!saved) return undefined;
    r.task = saved.task;
    r.restarts = saved.restarts;
    r.activated = saved.activated === true;
    r.runTemplate = JSON.stringify(saved.task.spec.template);
    const run = ctx.driverFor(saved.task).adopt(saved.task, r.startContext(saved.task));
    if (run) ctx.volumes?.adopt(saved.task, run);
    // Its checks start once the server's view of the task is known (update): they carry on from what was reported.
    if (run) r.attach(run, Date.now(), true);
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

  /** The task's namespace and name as last seen, kept after it is gone from this machine. */
  knownAs?: { namespace: string; name: string };

  /**
   * Whether its process is going away or gone: the task left this machine, is being deleted or
   * should no longer run. The ingress ports send it no new connection from that moment, before
   * the server's Endpoints say so.
   */
  get isStopping(): boolean {
    return !this.task || !this.run || !wantsRunning(this.task, this.ctx.machine, this.activated);
  }

  /** The name of the task's unit ("backup.service"), for tasks that are units. */
  get unitName(): string | undefined {
    return this.task?.spec.template.unit ? unitNameOf(this.task) : undefined;
  }

  /**
   * Starts one run of a unit loaded here, as systemd starts a unit a timer triggers; undefined
   * when it starts (or runs already), else why it cannot.
   */
  activate(): string | undefined {
    const t = this.task;
    if (!t || this.closed || t.metadata.deletionTimestamp) return 'it is being removed from this machine';
    const desired = t.spec.desiredState ?? 'running';
    if (this.run || this.backoff) return undefined;
    if (desired === 'running' && !this.finished) return undefined; // starting anyway
    if (desired !== 'loaded') {
      return desired === 'running'
        ? `it was launched and has ended (${t.status?.phase ?? 'finished'}); a timer starts a unit that is loaded, not launched: load it instead`
        : 'it is not loaded on this machine';
    }
    this.activated = true;
    this.kick();
    return undefined;
  }

  /** The task as the server now has it, or undefined when it is gone from this machine. */
  update(task: Task | undefined): void {
    this.task = task;
    // A run adopted from an earlier agent: its checks carry on from the results that agent reported.
    if (task && this.run && !this.checks && !this.closed && task.spec.machine === this.ctx.machine) this.startChecks(task, this.run, task.status?.checks);
    if (task) this.knownAs = { namespace: task.metadata.namespace ?? 'default', name: task.metadata.name };
    // The server lost touch with this machine and could not tell what the task was doing: say it
    // again (a run adopted after an agent restart has said nothing yet: it is running).
    if (task?.status?.phase === 'Unknown') {
      const status: Task['status'] | undefined = this.reported.phase ? { ...this.reported } : this.run ? { phase: 'Running', pid: this.run.pid ?? null, reason: '', message: '' } : undefined;
      if (status) this.ctx.reporter.report(task.metadata.uid, task.metadata.name, status, task.metadata.namespace);
    }
    this.kick();
  }

  /** Agent shutdown: leave processes running (their shims keep them) unless `stop`. */
  async close(stop: boolean): Promise<void> {
    this.closed = true;
    this.closeStops = stop;
    // A run being started now would otherwise attach after this and be left running (or, when
    // stopping, never stopped): the step ends first (a closed runner starts nothing new), for at
    // most 15 s; a start that ends later still stops or detaches itself (startRun).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.stepping, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
    clearTimeout(timer);
    clearTimeout(this.backoff);
    this.checks?.stop();
    this.checks = undefined;
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
    this.stepping = (async () => {
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
    if (desired !== 'loaded') this.activated = false;
    if (desired !== 'running' && !this.activated) {
      clearTimeout(this.backoff);
      this.backoff = undefined;
      this.finished = false;
      if (this.run) await this.stopRun(t);
      const phase = desired === 'loaded' ? 'Scheduled' : 'Stopped';
      // Once per state, even when the scheduler already wrote the phase (a unit just loaded still
      // has to say loaded/inactive/dead, as fleet shows it), and whatever the server echoes
      // meanwhile: an echo of a report from before an activated run settled must not overwrite
      // how that run ended (failed/failed).
      if (this.idlePhase !== phase) {
        this.idlePhase = phase;
        this.report(t, { phase, pid: null, unitState: { load: 'loaded', active: 'inactive', sub: 'dead' } });
      }
      return;
    }
    if (this.livenessFailure && this.livenessFailure.run === this.run) return this.restartForLiveness(t, this.livenessFailure);
    this.livenessFailure = undefined;
    if (this.run && JSON.stringify(t.spec.template) !== this.runTemplate) {
      // The template changed under a running task: run the new one.
      await this.stopRun(t);
      this.restarts++;
    }
    if (this.run || this.finished || this.backoff) return;
    // A driver said this machine cannot run it: not again until the template changes (or the agent restarts).
    if (this.cannotStart === JSON.stringify(t.spec.template)) return;
    await this.startRun(t);
  }

  /** Starts a run, paced with the machine's other starts (see start-gate.ts). */
  private async startRun(queued: Task): Promise<void> {
    let run: Run | undefined;
    let t = queued;
    const started = await this.ctx.startGate.run(async () => {
      // The task may have changed (or gone) while it waited for its turn.
      if (!this.task || !wantsRunning(this.task, this.ctx.machine, this.activated) || this.closed) return false;
      t = this.task;
      this.runTemplate = JSON.stringify(t.spec.template);
      this.idlePhase = undefined;
      // A run's leftovers only exist in a directory an earlier run made (rmSync's lstats per file
      // were the hollow fleet's largest cost at 40k tasks).
      const fresh = mkdirSync(this.dir, { recursive: true }) !== undefined;
      if (!fresh) for (const f of ['exit', 'pid', 'shim.pid', 'shim.error', 'oom']) rmSync(join(this.dir, f), { force: true });
      this.save(t);
      // A program the template requires is missing: one failure saying so, no start, no restart.
      const tpl = t.spec.template;
      const missing = missingPrograms(tpl.requires, plainEnv(tpl.env).PATH ?? this.ctx.baseEnv(t).PATH ?? '', this.ctx.machine, tpl.requiresFrom);
      if (missing) {
        this.settle(t, { phase: 'Failed', reason: MISSING_BINARY, message: missing, finishedAt: new Date().toISOString(), unitState: { load: 'loaded', active: 'failed', sub: 'failed' } });
        return true;
      }
      // Bound past the scheduler (spec.machine set by hand): its ports come in a moment.
      if (awaitsPorts(t)) {
        this.awaitResource(t, 'PortsUnallocated', 'waiting for the scheduler to allocate its ports', 1_000);
        return true;
      }
      // Volumes first: a task waiting for its dataset asks the server for nothing meanwhile.
      let volumes: VolumeGrant | undefined;
      if (t.spec.template.volumes?.length) {
        const answer = this.ctx.volumes?.grant(t, this.dir) ?? { waiting: 'this agent does not manage datasets' };
        if ('waiting' in answer) {
          this.awaitResource(t, 'VolumeUnavailable', `waiting for its volumes: ${answer.waiting}`, 1_000);
          return true;
        }
        if ('failed' in answer) {
          this.settle(t, { phase: 'Failed', reason: 'StartFailed', message: answer.failed, unitState: { load: 'loaded', active: 'failed', sub: 'failed' } });
          return true;
        }
        volumes = answer;
      }
      let secretEnv: Record<string, string> = {};
      if (usesSecrets(t.spec.template)) {
        try {
          secretEnv = await this.fetchSecrets(t);
        } catch (err) {
          volumes?.release();
          this.awaitSecrets(t, err as Error);
          return true;
        }
      }
      this.report(t, { phase: 'Starting', unitState: { load: 'loaded', active: 'activating', sub: 'start' } });
      try {
        run = await this.ctx.driverFor(t).start(t, this.startContext(t, { ...secretEnv, ...volumes?.env }));
        volumes?.holdFor(run);
      } catch (err) {
        volumes?.release();
        // Nothing this machine can run (no container engine): waiting, not failed, and saying why.
        if (err instanceof TaskCannotStart) {
          this.cannotStart = this.runTemplate;
          this.report(t, { phase: 'Scheduled', reason: err.reason, message: err.message, pid: null });
        }
        else this.settle(t, { phase: 'Failed', reason: 'StartFailed', message: (err as Error).message, unitState: { load: 'loaded', active: 'failed', sub: 'failed' } });
      }
      return true;
    });
    if (!started || !run) return;
    if (this.closed) {
      if (this.closeStops) await run.stop(this.graceMs());
      else run.detach();
      return;
    }
    const startedAt = Date.now();
    // Bounded: no start limit counts more starts than a few dozen.
    this.starts = [...this.starts.slice(-31), startedAt];
    this.attach(run, startedAt);
    // The same words each start: a task that restarts has one Started event, counted.
    this.ctx.events?.record(involvedTask(t), 'Normal', 'Started', 'started the task\'s process');
    this.report(t, {
      phase: 'Running',
      pid: run.pid ?? null,
      restarts: this.restarts,
      ...(t.spec.ports?.length ? { ports: portStatus(t, this.ctx.address()) } : {}),
      startedAt: new Date(startedAt).toISOString(),
      reason: '',
      message: run.message?.() ?? '',
      exitCode: null,
      signal: null,
      unitState: run.unitState?.() ?? { load: 'loaded', active: 'active', sub: 'running' },
    });
  }

  /**
   * The secret values the task needs, fetched for this start: files written into its directory,
   * environment variables returned. They are never saved with the task record or reported.
   */
  private async fetchSecrets(t: Task): Promise<Record<string, string>> {
    const secrets = await this.ctx.client.taskSecrets(t.metadata.namespace ?? DEFAULT_NAMESPACE, t.metadata.name);
    const dir = writeSecretFiles(this.dir, secrets.files, secretFileOwner(t.spec.template));
    this.secretMisses = 0;
    return { ...secrets.env, DROVER_SECRETS_DIR: dir };
  }

  /** A secret the task needs is missing (or the server would not give it): say why, and try again later. */
  private awaitSecrets(t: Task, err: Error): void {
    this.awaitResource(t, 'SecretUnavailable', `waiting for secrets: ${err.message}`, Math.min(1_000 * 2 ** this.secretMisses++, 30_000));
  }

  /** Something the task needs to start is not there yet (a secret, a dataset): say why, and try again after `delayMs`. */
  private awaitResource(t: Task, reason: string, message: string, delayMs: number): void {
    if (this.reported.reason !== reason || this.reported.message !== message) this.report(t, { phase: 'Scheduled', reason, message, pid: null });
    clearTimeout(this.backoff);
    this.backoff = setTimeout(() => {
      this.backoff = undefined;
      this.kick();
    }, delayMs);
  }

  private attach(run: Run, startedAt: number, adopted = false): void {
    this.run = run;
    this.startedAt = startedAt;
    if (this.task && !adopted) this.startChecks(this.task, run);
    this.ctx.onUnitActivity?.(this, true);
    this.ctx.runStarted();
    void run.exited.then((status) => this.onExit(run, status));
  }

  /** The run is over: ended for good, or, for an activated loaded unit, back to loaded. */
  private settle(t: Task, status: NonNullable<Task['status']>): void {
    if (this.activated) {
      this.activated = false;
      this.idlePhase = 'Scheduled';
      this.report(t, { ...status, phase: 'Scheduled' });
    } else {
      this.finished = true;
      this.report(t, status);
    }
    this.ctx.onUnitActivity?.(this, false);
  }

  private onExit(run: Run, status: ExitStatus): void {
    if (this.run !== run || this.closed) return; // a stop we asked for: stopRun reports it
    this.run = undefined;
    const t = this.task;
    this.endChecks(t, 'the run ended');
    if (!t) return;
    const plan = planExit({
      status,
      decision: this.ctx.driverFor(t).restartPolicy?.(t, status),
      templatePolicy: t.spec.template.restartPolicy,
      failures: this.failures,
      ranMs: Date.now() - this.startedAt,
      starts: this.starts,
    });
    if (!plan.restart) return this.settle(t, plan.status);
    this.failures = plan.failures;
    this.restarts++;
    this.save(t);
    this.report(t, { ...plan.status, restarts: this.restarts });
    this.ctx.events?.record(involvedTask(t), 'Warning', 'Restarted', `${describeExit(status).how}; restarted per its restart policy`);
    this.backoff = setTimeout(() => {
      this.backoff = undefined;
      this.kick();
    }, plan.delayMs);
  }

  private async stopRun(t: Task | undefined): Promise<void> {
    const run = this.run!;
    this.run = undefined;
    this.endChecks(t, 'the task is stopping');
    if (t) this.report(t, { phase: 'Stopping', unitState: { load: 'loaded', active: 'deactivating', sub: 'stop' } });
    const status = await run.stop(this.graceMs(t));
    this.ctx.onUnitActivity?.(this, false);
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
    // A deleted task that serves traffic first leaves every route to it (this machine's ingress
    // ports stop sending at once; others follow the Endpoints), then stops.
    if (this.run && t?.metadata.deletionTimestamp && t.spec.ports?.length) await this.ctx.untilUnrouted?.(t.metadata.namespace ?? 'default', t.metadata.name);
    if (this.run) await this.stopRun(undefined);
    if (t?.metadata.deletionTimestamp && t.metadata.finalizers?.includes(AGENT_FINALIZER) && t.spec.machine === this.ctx.machine) {
      try {
        await this.ctx.client.tasks.in(t.metadata.namespace).patch(t.metadata.name, {
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

  /**
   * A liveness check gave up on the run: stop it (with its grace period) and start it again after
   * the restart policy's backoff — a liveness failure is a failure whatever the exit code, so only
   * a "never" policy leaves the task Failed.
   */
  private async restartForLiveness(t: Task, failure: { run: Run; check: ResolvedCheck; output: string }): Promise<void> {
    this.livenessFailure = undefined;
    const run = failure.run;
    this.run = undefined;
    this.endChecks(t, 'the liveness check failed');
    const why = `liveness check ${failure.check.name} failed ${failure.check.failureThreshold} times in a row: ${failure.output}`;
    this.ctx.events?.record(involvedTask(t), 'Warning', 'Killing', `stopping the task: ${why}`);
    this.report(t, { phase: 'Stopping', reason: LIVENESS_FAILED, message: why, unitState: { load: 'loaded', active: 'deactivating', sub: 'stop' } });
    const status = await run.stop(this.graceMs(t));
    this.ctx.onUnitActivity?.(this, false);
    const asFailure = (policy: 'always' | 'on-failure' | 'never' | undefined) => (policy === 'never' ? 'never' : 'always');
    const decision = this.ctx.driverFor(t).restartPolicy?.(t, status);
    const plan = planExit({
      status,
      decision: decision && { ...decision, policy: asFailure(decision.policy) },
      templatePolicy: asFailure(t.spec.template.restartPolicy),
      failures: this.failures,
      ranMs: Date.now() - this.startedAt,
      starts: this.starts,
    });
    const { how } = describeExit(status);
    const lastTermination = { reason: LIVENESS_FAILED, message: failure.output, exitCode: status.code, signal: status.signal, finishedAt: status.finishedAt.toISOString() };
    if (!plan.restart) return this.settle(t, { ...plan.status, phase: 'Failed', reason: LIVENESS_FAILED, message: `${why}; it ${how}`, lastTermination });
    this.failures = plan.failures;
    this.restarts++;
    this.save(t);
    this.report(t, { ...plan.status, reason: LIVENESS_FAILED, message: `${why}; it ${how}; ${plan.status.message?.split('; ').pop() ?? 'restarting'}`, restarts: this.restarts, lastTermination });
    this.ctx.events?.record(involvedTask(t), 'Warning', 'Restarted', `restarted because liveness check ${failure.check.name} failed; the run ${how}`);
    this.backoff = setTimeout(() => {
      this.backoff = undefined;
      this.kick();
    }, plan.delayMs);
  }

  /** Starts the run's health checks (a run with none is Ready at once); `previous`: an adopted run's reported results. */
  private startChecks(t: Task, run: Run, previous?: CheckResult[]): void {
    this.checks?.stop();
    // Adopted: the Ready condition as reported, so an unchanged one is neither written nor given a new time.
    if (previous) this.readyCondition ??= t.status?.conditions?.find((c) => c.type === TASK_READY_CONDITION);
    this.checks = new TaskChecks({
      task: t,
      previous,
      execContext: () => this.execContext(t),
      onChange: (checks, ready) => this.reportChecks(t, checks, ready),
      onReadinessFailed: (check, output) => this.ctx.events?.record(involvedTask(t), 'Warning', 'Unhealthy', `readiness check ${check.name} failed: ${output}`),
      onLivenessFailed: (check, output) => {
        if (this.run !== run) return;
        this.ctx.events?.record(involvedTask(t), 'Warning', 'Unhealthy', `liveness check ${check.name} failed: ${output}`);
        this.livenessFailure = { run, check, output };
        this.kick();
      },
    });
    this.checks.start();
  }

  /** The run is over (or going): its checks stop, and the task is not Ready. */
  private endChecks(t: Task | undefined, why: string): void {
    if (!this.checks) return;
    this.checks.stop();
    this.checks = undefined;
    if (t) this.reportChecks(t, undefined, { type: TASK_READY_CONDITION, status: 'False', reason: 'NotRunning', message: why });
  }

  /** Reports check results and the Ready condition: only when the condition changed or a check turned. */
  private reportChecks(t: Task, checks: CheckResult[] | undefined, ready: Omit<Condition, 'lastTransitionTime'>): void {
    const prev = this.readyCondition;
    const isSame = prev && prev.status === ready.status && prev.reason === ready.reason && prev.message === ready.message;
    if (isSame && !checks) return;
    const status: NonNullable<Task['status']> = checks && checks.length ? { checks } : {};
    if (!isSame) {
      this.readyCondition = { ...ready, lastTransitionTime: prev?.status === ready.status && prev.lastTransitionTime ? prev.lastTransitionTime : new Date().toISOString() };
      // Other conditions (the scheduler's) stay as the server has them.
      const current = this.task?.status?.conditions ?? t.status?.conditions ?? [];
      status.conditions = [...current.filter((c) => c.type !== TASK_READY_CONDITION), this.readyCondition];
    }
    if (Object.keys(status).length) this.report(t, status);
  }

  /** Where an exec check or exec session runs: the run's own environment (its env file, secrets included), directory and user. */
  execContext(t: Task): ExecContext {
    const tpl = t.spec.template;
    const credentials = resolveRunAs(tpl.user, tpl.group);
    const env = readRunEnv(this.dir) ?? { ...this.ctx.baseEnv(t), DROVER_TASK_DIR: this.dir, ...runAsEnv(credentials), ...plainEnv(tpl.env) };
    return { env, cwd: tpl.workingDir || '/', ...(credentials ? { credentials: { uid: credentials.uid, gid: credentials.gid } } : {}) };
  }

  private report(t: Task, status: Task['status']): void {
    this.reported = { ...this.reported, ...status };
    if (status?.unitState && status.unitState.hash === undefined) {
      const hash = this.ctx.driverFor(t).unitHash?.(t);
      if (hash) status = { ...status, unitState: { ...status.unitState, hash } };
    }
    this.ctx.reporter.report(t.metadata.uid, t.metadata.name, status, t.metadata.namespace);
  }

  private save(t: Task): void {
    writeTaskRecord(this.dir, { task: t, restarts: this.restarts, ...(this.activated ? { activated: true } : {}) });
  }

  private graceMs(t = this.task): number {
    return (t?.spec.template.stopGraceSeconds ?? 10) * 1000;
  }

  private startContext(t: Task, secretEnv: Record<string, string> = {}) {
    return {
      dir: this.dir,
      // The task's own directory: a place for its data that goes with the task.
      baseEnv: { ...this.ctx.baseEnv(t), ...portEnv(t), DROVER_TASK_DIR: this.dir, ...secretEnv },
      onUnitState: (unitState: UnitState) => this.report(t, { unitState }),
      onMessage: (message: string) => this.report(t, { message }),
      units: this.ctx.units,
    };
  }
}

/** The task as an event names it. */
function involvedTask(t: Task) {
  return { kind: 'Task', name: t.metadata.name, namespace: t.metadata.namespace ?? DEFAULT_NAMESPACE, uid: t.metadata.uid };
}

/** The task is bound here, not being deleted, and should run (or, loaded, was activated). */
function wantsRunning(t: Task, machine: string, activated: boolean): boolean {
  const desired = t.spec.desiredState ?? 'running';
  return t.spec.machine === machine && t.metadata.deletionTimestamp === undefined && t.status?.phase !== 'Lost' && (desired === 'running' || (desired === 'loaded' && activated));
}
