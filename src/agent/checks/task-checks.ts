// The health checks of one run of a task: a timer per check (no polling loop: an idle check costs
// nothing between attempts), each attempt at most its timeout, the next one intervalSeconds after
// it ended. What the runner hears is transitions only — a check turning passing or failing, the
// Ready condition changing, a liveness check giving up — so status is written when something
// changed, not on every attempt. Stopped when the run ends; a new run gets new checks.
import { TASK_READY_CONDITION, checkPort, resolveChecks, type CheckResult, type Condition, type ResolvedCheck, type Task } from '../../model/index.js';
import { CheckState } from './check-state.js';
import { execProbe } from './exec-probe.js';
import { httpProbe } from './http-probe.js';
import type { ProbeResult } from './probe.js';
import { tcpProbe } from './tcp-probe.js';

/** Where an exec check runs: the task's own environment, directory and user. */
export interface ExecContext {
  env: Record<string, string>;
  cwd: string;
  credentials?: { uid: number; gid: number };
}

export interface TaskChecksOptions {
  task: Task;
  /** The results an earlier agent reported for this same run (adopted after an agent restart): carried on, not started over. */
  previous?: CheckResult[];
  /** Asked at each exec attempt (the environment is the run's, read when needed). */
  execContext(): ExecContext;
  /** Every check's result and the Ready condition, after any of them changed. */
  onChange(checks: CheckResult[], ready: Omit<Condition, 'lastTransitionTime'>): void;
  /** A readiness check turned failing. */
  onReadinessFailed?(check: ResolvedCheck, output: string): void;
  /** A liveness check failed failureThreshold times in a row: the run must be restarted. */
  onLivenessFailed(check: ResolvedCheck, output: string): void;
  now?: () => Date;
}

export class TaskChecks {
  private readonly states: CheckState[];
  private readonly timers = new Map<CheckState, NodeJS.Timeout>();
  /**
   * The attempts under way, each with its own signal: one signal shared by every attempt of the
   * run gathered a listener per attempt (net and http add one and keep it), a leak per check.
   */
  private readonly inFlight = new Set<AbortController>();
  private stopped = false;

  constructor(private readonly opts: TaskChecksOptions) {
    this.states = resolveChecks(opts.task.spec.template).map((c) => new CheckState(c, opts.previous?.find((r) => r.name === c.name)));
  }

  /** Says where things stand (Ready, or ChecksPending), then starts each check after its initial delay (carried-on checks: after their interval). */
  start(): void {
    this.changed();
    for (const s of this.states) this.schedule(s, (s.status === 'unknown' ? s.check.initialDelaySeconds : s.check.intervalSeconds) * 1000);
  }

  stop(): void {
    this.stopped = true;
    for (const a of this.inFlight) a.abort();
    this.inFlight.clear();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** The Ready condition as the readiness checks make it. */
  ready(): Omit<Condition, 'lastTransitionTime'> {
    const readiness = this.states.filter((s) => s.check.role === 'readiness');
    const failing = readiness.find((s) => s.status === 'failing');
    if (failing) return { type: TASK_READY_CONDITION, status: 'False', reason: 'ReadinessCheckFailed', message: `check ${failing.check.name} failed: ${failing.output}` };
    const pending = readiness.filter((s) => s.status !== 'passing');
    if (pending.length) return { type: TASK_READY_CONDITION, status: 'False', reason: 'ChecksPending', message: `waiting for ${pending.map((s) => s.check.name).join(', ')}` };
    return { type: TASK_READY_CONDITION, status: 'True', reason: readiness.length ? 'ChecksPassing' : 'Running', message: '' };
  }

  private schedule(s: CheckState, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => void this.attempt(s), delayMs);
    timer.unref();
    this.timers.set(s, timer);
  }

  private async attempt(s: CheckState): Promise<void> {
    let r: ProbeResult;
    const abort = new AbortController();
    this.inFlight.add(abort);
    try {
      r = await this.probe(s.check, abort.signal);
    } catch (err) {
      r = { ok: false, output: (err as Error).message };
    } finally {
      this.inFlight.delete(abort);
    }
    if (this.stopped) return;
    const wasFailing = s.status === 'failing';
    if (s.observe(r, this.opts.now?.() ?? new Date())) {
      this.changed();
      if (s.status === 'failing' && s.check.role === 'readiness' && !wasFailing) this.opts.onReadinessFailed?.(s.check, s.output);
      if (s.status === 'failing' && s.check.role === 'liveness') {
        // The run is restarted: this run's checks are over.
        this.opts.onLivenessFailed(s.check, s.output);
        return;
      }
    }
    this.schedule(s, s.check.intervalSeconds * 1000);
  }

  private probe(c: ResolvedCheck, signal: AbortSignal): Promise<ProbeResult> {
    const timeoutMs = c.timeoutSeconds * 1000;
    if (c.type === 'exec') {
      if (!c.command?.length) return Promise.resolve({ ok: false, output: 'an exec check needs a command' });
      return execProbe({ command: c.command, timeoutMs, signal, ...this.opts.execContext() });
    }
    const t = this.opts.task;
    const port = checkPort(c.port, t.spec.template, t.spec.ports);
    if (port === undefined) return Promise.resolve({ ok: false, output: c.port === undefined ? 'no port to check: give the check a port, or the template ports' : `no port named "${c.port}"` });
    if (c.type === 'tcp') return tcpProbe({ port, timeoutMs, signal });
    return httpProbe({ port, path: c.path, expectStatus: c.expectStatus, timeoutMs, signal });
  }

  private changed(): void {
    this.opts.onChange(
      this.states.map((s) => s.result()),
      this.ready(),
    );
  }
}
