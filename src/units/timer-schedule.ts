// When a timer next elapses (systemd 252's timer_enter_waiting), from what the agent knows of
// the timer and the unit it activates. Pure: the agent's timer run supplies the times and acts
// on the answer.
import { nextElapse } from './calendar-next.js';
import type { TimerUnit } from './systemd-timer.js';

/** The times a timer's triggers count from, in ms since the epoch. */
export interface TimerBases {
  /** The timer was started (OnActiveSec=). */
  activatedAt: number;
  /** The machine booted (OnBootSec=). */
  bootAt: number;
  /** The agent started (OnStartupSec=). */
  startupAt: number;
  /** The timer last fired since it was started; one-shot triggers due before it are spent. */
  lastTrigger: number | undefined;
  /**
   * Calendar events elapse after this: the last trigger when known (from the stamp Persistent=
   * keeps, even from before the agent restarted), else when the timer was started. An elapse
   * already past is due at once: that is how a run missed while the agent was down happens.
   */
  calendarFrom: number;
  /** The activated unit last became active, or inactive, on this machine. */
  unitActiveAt: number | undefined;
  unitInactiveAt: number | undefined;
}

/** The next elapse (possibly in the past: due now), or undefined when nothing is left to wait for. */
export function nextTimerElapse(timer: TimerUnit, at: TimerBases): number | undefined {
  let next: number | undefined;
  const consider = (t: number) => {
    if (next === undefined || t < next) next = t;
  };
  // OnActiveSec=, OnBootSec=, OnStartupSec= fire once each.
  const once: Array<[number[], number]> = [
    [timer.spans.active, at.activatedAt],
    [timer.spans.boot, at.bootAt],
    [timer.spans.startup, at.startupAt],
  ];
  for (const [spans, base] of once) {
    for (const span of spans) if (at.lastTrigger === undefined || base + span > at.lastTrigger) consider(base + span);
  }
  // OnUnitActiveSec=, OnUnitInactiveSec= repeat, from the unit's last change or the timer's last
  // trigger, whichever is later; with neither (the unit never ran) they wait.
  const repeating: Array<[number[], number | undefined]> = [
    [timer.spans.unitActive, at.unitActiveAt],
    [timer.spans.unitInactive, at.unitInactiveAt],
  ];
  for (const [spans, unitAt] of repeating) {
    const base = unitAt === undefined ? at.lastTrigger : at.lastTrigger === undefined ? unitAt : Math.max(unitAt, at.lastTrigger);
    if (base === undefined) continue;
    for (const span of spans) consider(base + span);
  }
  for (const { spec } of timer.calendars) {
    const t = nextElapse(spec, at.calendarFrom);
    if (t !== undefined) consider(t);
  }
  return next;
}
