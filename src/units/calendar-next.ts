// When a calendar event next elapses (systemd 252's calendar_spec_next_usec / find_next): the
// earliest time strictly after a given one that every field matches, field by field from the
// year down; when a field has to move forward, the fields below it start over at their lowest.
// Times are the agent's local time (as systemd's, from TZ) or UTC when the event says so.
import { CALENDAR_MAX_YEAR, type CalendarChain, type CalendarSpec } from './calendar.js';

const USEC_PER_SEC = 1_000_000;
const USEC_PER_MINUTE = 60 * USEC_PER_SEC;

/** A broken-down time; `usec` is the microseconds within the minute (seconds included). */
interface Tm {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  usec: number;
}

/** The next elapse after `afterMs` (ms since the epoch), or undefined when the event never elapses again. */
export function nextElapse(spec: CalendarSpec, afterMs: number): number | undefined {
  const clock = spec.utc ? utcClock : localClock;
  let tm = clock.split(afterMs * 1000 + 1);
  // Each pass moves at least one field forward; this bound is never reached by a valid event.
  for (let pass = 0; pass < 100_000; pass++) {
    tm = clock.split(clock.join(tm)); // normalise: day 32 is the next month's first, hour 24 the next day's…
    const year = match(spec.year, tm.year);
    if (year === undefined || year > CALENDAR_MAX_YEAR) return undefined;
    if (year !== tm.year) tm = { year, month: 1, day: 1, hour: 0, minute: 0, usec: 0 };

    const month = match(spec.month, tm.month);
    if (month === undefined || month > 12) {
      tm = { year: tm.year + 1, month: 1, day: 1, hour: 0, minute: 0, usec: 0 };
      continue;
    }
    if (month !== tm.month) tm = { ...tm, month, day: 1, hour: 0, minute: 0, usec: 0 };

    const lastDay = daysInMonth(tm.year, tm.month);
    const day = match(spec.day, tm.day, spec.endOfMonth ? lastDay : undefined);
    if (day === undefined || day > lastDay) {
      tm = { ...tm, month: tm.month + 1, day: 1, hour: 0, minute: 0, usec: 0 };
      continue;
    }
    if (day !== tm.day) tm = { ...tm, day, hour: 0, minute: 0, usec: 0 };
    if (spec.weekdays && !spec.weekdays.has(weekday(tm))) {
      tm = { ...tm, day: tm.day + 1, hour: 0, minute: 0, usec: 0 };
      continue;
    }

    const hour = match(spec.hour, tm.hour);
    if (hour === undefined || hour > 23) {
      tm = { ...tm, day: tm.day + 1, hour: 0, minute: 0, usec: 0 };
      continue;
    }
    if (hour !== tm.hour) tm = { ...tm, hour, minute: 0, usec: 0 };

    const minute = match(spec.minute, tm.minute);
    if (minute === undefined || minute > 59) {
      tm = { ...tm, hour: tm.hour + 1, minute: 0, usec: 0 };
      continue;
    }
    if (minute !== tm.minute) tm = { ...tm, minute, usec: 0 };

    const usec = match(spec.second, tm.usec);
    if (usec === undefined || usec >= USEC_PER_MINUTE) {
      tm = { ...tm, minute: tm.minute + 1, usec: 0 };
      continue;
    }
    tm = { ...tm, usec };
    const at = clock.join(tm);
    const back = clock.split(at);
    // A local time that does not exist (skipped when DST begins): go on from where it lands.
    if (back.hour !== tm.hour || back.minute !== tm.minute || back.day !== tm.day) {
      tm = back;
      continue;
    }
    return Math.ceil(at / 1000);
  }
  return undefined;
}

/**
 * find_matching_component: the least value ≥ `value` that one of the chain's components
 * matches; undefined when none does. With `lastDay` the values count back from the month's end.
 */
function match(chain: CalendarChain, value: number, lastDay?: number): number | undefined {
  if (!chain) return value;
  let best: number | undefined;
  for (const c of chain) {
    let start = c.start;
    let stop = c.stop;
    if (lastDay !== undefined) {
      // ~01 is the last day; a range ~a..b runs from the b-th last day to the a-th last.
      const fromEnd = (n: number) => lastDay - n + 1;
      [start, stop] = c.stop >= 0 ? [fromEnd(c.stop), fromEnd(c.start)] : [fromEnd(c.start), -1];
    }
    let candidate: number | undefined;
    if (start >= value) candidate = start;
    else if (c.repeat > 0) {
      const k = start + c.repeat * Math.ceil((value - start) / c.repeat);
      if (stop < 0 || k <= stop) candidate = k;
    }
    if (candidate !== undefined && (best === undefined || candidate < best)) best = candidate;
  }
  return best;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 0 = Monday … 6 = Sunday, as systemd numbers them. */
function weekday(tm: Tm): number {
  return (new Date(Date.UTC(tm.year, tm.month - 1, tm.day)).getUTCDay() + 6) % 7;
}

interface Clock {
  split(usecSinceEpoch: number): Tm;
  join(tm: Tm): number;
}

function clockOf(utc: boolean): Clock {
  return {
    split(us) {
      const ms = Math.floor(us / 1000);
      const d = new Date(ms);
      const second = utc ? d.getUTCSeconds() : d.getSeconds();
      const withinSecond = us - Math.floor(us / USEC_PER_SEC) * USEC_PER_SEC;
      return utc
        ? { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), usec: second * USEC_PER_SEC + withinSecond }
        : { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(), minute: d.getMinutes(), usec: second * USEC_PER_SEC + withinSecond };
    },
    join(tm) {
      const minute = tm.minute + Math.floor(tm.usec / USEC_PER_MINUTE);
      const usec = tm.usec % USEC_PER_MINUTE;
      const ms = utc ? Date.UTC(tm.year, tm.month - 1, tm.day, tm.hour, minute) : new Date(tm.year, tm.month - 1, tm.day, tm.hour, minute).getTime();
      return ms * 1000 + usec;
    },
  };
}

const utcClock = clockOf(true);
const localClock = clockOf(false);
