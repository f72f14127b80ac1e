// One run of a .timer unit. It runs no process: it waits for the next elapse
// (units/timer-schedule.ts) and then starts the unit it activates on this machine, as systemd
// starts a timer's unit. States are systemd's: active/waiting while armed, active/elapsed once
// nothing is left to wait for (RemainAfterElapse=yes; with no, the run ends inactive/dead).
// What must outlive the agent is on disk: timer.json in the task's directory (when the timer was
// started and last fired, so one-shot triggers stay spent) and, with Persistent=, a stamp per
// timer name on the machine (the last trigger, also across a stop and start of the timer), so
// a calendar run missed meanwhile runs once when the timer runs again.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { uptime } from 'node:os';
import { dirname, join } from 'node:path';
import { nextTimerElapse, type TimerUnit } from '../../units/index.js';
import type { ExitStatus } from '../supervisor.js';
import type { MachineUnits, Run, UnitState } from './driver.js';

export interface TimerRunOptions {
  unitName: string;
  timer: TimerUnit;
  /** The task's directory (timer.json). */
  dir: string;
  /** Persistent='s stamp file for this timer name. */
  stampPath: string;
  units: MachineUnits | undefined;
  /** When the agent started (OnStartupSec=). */
  startupAt: number;
  onUnitState?: (state: UnitState) => void;
  onMessage?: (message: string) => void;
}

interface TimerRecord {
  activatedAt: number;
  lastTrigger?: number;
}

// setTimeout takes at most a signed 32-bit delay: a later elapse is waited for in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;
// A timer never fires twice within this: a 0 s OnUnitActiveSec= would otherwise spin. systemd
// promises no better (its default AccuracySec= is a minute).
const MIN_TRIGGER_INTERVAL_MS = 1000;

export class TimerRun implements Run {
  readonly pid = undefined;
  readonly exited: Promise<ExitStatus>;
  private resolveExit!: (s: ExitStatus) => void;
  private current: UnitState = { load: 'loaded', active: 'active', sub: 'waiting' };
  private timeout: NodeJS.Timeout | undefined;
  private readonly unwatch: () => void;
  private ended = false;
  private lastMessage = '';
  /** RandomizedDelaySec='s delay for an elapse, kept while that elapse is waited for. */
  private jitter: { at: number; ms: number } | undefined;
  /** What the last elapse did, for the status message. */
  private outcome: string | undefined;

  private constructor(
    private readonly o: TimerRunOptions,
    private readonly record: TimerRecord,
    /** Calendar elapses before this are not made up (no Persistent=): when this run began. */
    private readonly since: number,
  ) {
    this.exited = new Promise((r) => (this.resolveExit = r));
    this.unwatch = o.units?.watch(o.timer.unit, () => this.arm()) ?? (() => {});
  }

  /** The timer is started: it counts from now. */
  static start(o: TimerRunOptions): TimerRun {
    const now = Date.now();
    // As systemd does, a persistent timer that never ran gets a stamp when first started.
    if (o.timer.persistent && readStamp(o.stampPath) === undefined) writeStamp(o.stampPath, now);
    const run = new TimerRun(o, { activatedAt: now }, now);
    run.save();
    run.armWhenKnown();
    return run;
  }

  /** A timer a previous agent had started, armed again; undefined when it had none. */
  static adopt(o: TimerRunOptions): TimerRun | undefined {
    let record: TimerRecord;
    try {
      record = JSON.parse(readFileSync(join(o.dir, 'timer.json'), 'utf8')) as TimerRecord;
    } catch {
      return undefined;
    }
    const run = new TimerRun(o, record, Date.now());
    run.armWhenKnown();
    return run;
  }

  unitState(): UnitState {
    return this.current;
  }

  message(): string {
    return this.lastMessage;
  }

  signal(): boolean {
    return false;
  }

  detach(): void {
    this.halt();
  }

  async stop(): Promise<ExitStatus> {
    if (!this.ended) {
      this.halt();
      rmSync(join(this.o.dir, 'timer.json'), { force: true });
      this.resolveExit({ code: 0, signal: null, finishedAt: new Date() });
    }
    return this.exited;
  }

  private halt(): void {
    this.ended = true;
    clearTimeout(this.timeout);
    this.unwatch();
  }

  /** Arms once the machine's units are known (an adopted timer may be due at once). */
  private armWhenKnown(): void {
    if (this.o.units) this.o.units.whenKnown(() => this.arm());
    else this.arm();
  }

  /** Waits for the next elapse, or settles when there is none. */
  private arm(): void {
    clearTimeout(this.timeout);
    if (this.ended) return;
    const { timer, units } = this.o;
    const now = Date.now();
    const last = this.record.lastTrigger;
    const stamp = timer.persistent ? readStamp(this.o.stampPath) : undefined;
    const calendarFrom = timer.persistent ? Math.max(last ?? 0, stamp ?? 0) || this.record.activatedAt : Math.max(last ?? this.record.activatedAt, this.since);
    let at = nextTimerElapse(timer, {
      activatedAt: this.record.activatedAt,
      bootAt: now - uptime() * 1000,
      startupAt: this.o.startupAt,
      lastTrigger: last,
      calendarFrom,
      unitActiveAt: units?.lastActiveAt(timer.unit),
      unitInactiveAt: units?.lastInactiveAt(timer.unit),
    });
    const outcome = this.outcome ? `; ${this.outcome}` : '';
    if (at === undefined) {
      if (!timer.remainAfterElapse) {
        this.halt();
        rmSync(join(this.o.dir, 'timer.json'), { force: true });
        this.setState('inactive', 'dead');
        this.resolveExit({ code: 0, signal: null, finishedAt: new Date() });
        return;
      }
      this.setState('active', 'elapsed');
      this.say(`elapsed: no trigger left to wait for${outcome}`);
      return;
    }
    if (last !== undefined) at = Math.max(at, last + MIN_TRIGGER_INTERVAL_MS);
    if (this.jitter?.at !== at) this.jitter = { at, ms: Math.random() * timer.randomizedDelayMs };
    at += this.jitter.ms;
    this.setState('active', 'waiting');
    this.say(`waiting: next elapse ${new Date(at).toISOString()}, activating ${timer.unit}${outcome}`);
    const delay = Math.max(0, at - now);
    this.timeout = delay > MAX_TIMER_MS ? setTimeout(() => this.arm(), MAX_TIMER_MS) : setTimeout(() => this.fire(), delay);
  }

  private fire(): void {
    if (this.ended) return;
    const now = Date.now();
    this.record.lastTrigger = now;
    this.save();
    if (this.o.timer.persistent) writeStamp(this.o.stampPath, now);
    const unit = this.o.timer.unit;
    const problem = this.o.units ? this.o.units.activate(unit) : `no unit can be started from here`;
    this.outcome = problem ? `elapsed at ${new Date(now).toISOString()} but could not start ${unit}: ${problem}` : `last triggered ${unit} at ${new Date(now).toISOString()}`;
    this.arm();
  }

  private save(): void {
    writeFileSync(join(this.o.dir, 'timer.json'), JSON.stringify(this.record));
  }

  private say(message: string): void {
    if (message === this.lastMessage) return;
    this.lastMessage = message;
    this.o.onMessage?.(message);
  }

  private setState(active: string, sub: string): void {
    if (this.current.active === active && this.current.sub === sub) return;
    this.current = { load: 'loaded', active, sub };
    this.o.onUnitState?.(this.current);
  }
}

/** The last trigger Persistent= kept, if any (and not in the future: a clock that jumped back). */
function readStamp(path: string): number | undefined {
  try {
    const at = Number(readFileSync(path, 'utf8'));
    return Number.isFinite(at) && at > 0 && at <= Date.now() ? at : undefined;
  } catch {
    return undefined;
  }
}

function writeStamp(path: string, at: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, String(at));
}
