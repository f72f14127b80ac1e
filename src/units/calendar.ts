// systemd calendar events (systemd.time(7), "Calendar Events"; systemd 252's calendarspec.c), as
// OnCalendar= takes them: "[DOW] [[YYYY-]MM-DD] [HH:MM[:SS]] [UTC]", each field "*", a value, a
// list "a,b", a range "a..b" and a repetition "a/n" or "a..b/n"; weekdays as names with ".." or
// "-" ranges; "~" counting days back from the end of the month; two-digit years; fractional
// seconds; and the shorthands minutely, hourly, daily, weekly, monthly, yearly (annually),
// quarterly and semiannually. No npm package reads this syntax (cron libraries have neither
// years, "..", "~" nor weekday ranges by name), hence this parser. The next elapse is in
// calendar-next.ts, systemd's normalized form in calendar-format.ts.

/** One item of a field's list: `start`, or `start..stop`, repeating every `repeat` when > 0. */
export interface CalendarComponent {
  start: number;
  /** -1: no upper bound. */
  stop: number;
  /** 0: the value alone. */
  repeat: number;
}

/** undefined: any value ("*"). Seconds are in microseconds, as systemd keeps them. */
export type CalendarChain = CalendarComponent[] | undefined;

export interface CalendarSpec {
  /** Weekdays, 0 = Monday … 6 = Sunday; undefined: every day. */
  weekdays: ReadonlySet<number> | undefined;
  year: CalendarChain;
  month: CalendarChain;
  day: CalendarChain;
  /** "~": day values count back from the end of the month (~01 is its last day). */
  endOfMonth: boolean;
  hour: CalendarChain;
  minute: CalendarChain;
  second: CalendarChain;
  /** Times are UTC rather than the agent's local time. */
  utc: boolean;
}

export class CalendarSpecError extends Error {}

export const USEC_PER_SEC = 1_000_000;
export const CALENDAR_MIN_YEAR = 1970;
export const CALENDAR_MAX_YEAR = 2199;

const SHORTHANDS: Record<string, string> = {
  minutely: '*-*-* *:*:00',
  hourly: '*-*-* *:00:00',
  daily: '*-*-* 00:00:00',
  monthly: '*-*-01 00:00:00',
  weekly: 'Mon *-*-* 00:00:00',
  yearly: '*-01-01 00:00:00',
  annually: '*-01-01 00:00:00',
  quarterly: '*-01,04,07,10-01 00:00:00',
  semiannually: '*-01,07-01 00:00:00',
};

// Full names first, so "Monday" is not read as "Mon" followed by "day".
const WEEKDAY_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['monday', 0], ['mon', 0], ['tuesday', 1], ['tue', 1], ['wednesday', 2], ['wed', 2], ['thursday', 3], ['thu', 3],
  ['friday', 4], ['fri', 4], ['saturday', 5], ['sat', 5], ['sunday', 6], ['sun', 6],
];
export const WEEKDAY_ABBREVIATIONS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** Parses a calendar event; throws CalendarSpecError saying what is wrong. */
export function parseCalendarSpec(text: string): CalendarSpec {
  const fail = (why: string): never => {
    throw new CalendarSpecError(`invalid calendar event ${JSON.stringify(text)}: ${why}`);
  };
  let rest = text;
  let utc = false;
  if (/ utc$/i.test(rest)) {
    utc = true;
    rest = rest.slice(0, -4);
  } else {
    const zone = rest.slice(rest.lastIndexOf(' ') + 1);
    if (rest.includes(' ') && isTimeZoneName(zone)) {
      fail(`time zone ${JSON.stringify(zone)} is not supported: drover's timers run in the agent's local time or in UTC (append " UTC")`);
    }
  }
  if (rest === '') fail('it is empty');
  const shorthand = SHORTHANDS[rest.toLowerCase()];
  if (shorthand) rest = shorthand;

  const spec: CalendarSpec = { weekdays: undefined, year: undefined, month: undefined, day: undefined, endOfMonth: false, hour: undefined, minute: undefined, second: undefined, utc };
  const cursor = { text: rest, at: 0, fail };
  spec.weekdays = readWeekdays(cursor);
  readDate(cursor, spec);
  readTime(cursor, spec);
  if (cursor.at < rest.length) fail(`unexpected ${JSON.stringify(rest.slice(cursor.at))}: expected [WEEKDAY] [YYYY-MM-DD] [HH:MM[:SS]]`);
  for (const field of ['year', 'month', 'day', 'hour', 'minute', 'second'] as const) spec[field] = normalized(spec[field]);
  for (const [field, from, to] of [['year', CALENDAR_MIN_YEAR, CALENDAR_MAX_YEAR], ['month', 1, 12], ['day', 1, 31], ['hour', 0, 23], ['minute', 0, 59]] as const) {
    if (!isChainValid(spec[field], from, to, field === 'day' && spec.endOfMonth)) fail(`the ${field} must be within ${from}..${to} (and a repetition must fit in it)`);
  }
  if (!isChainValid(spec.second, 0, 60 * USEC_PER_SEC - 1, false)) fail('the seconds must be within 0..59 (and a repetition must fit in it)');
  return spec;
}

interface Cursor {
  text: string;
  at: number;
  fail(why: string): never;
}

function skipSpaces(c: Cursor): void {
  while (c.text[c.at] === ' ') c.at++;
}

/** parse_weekdays: "Mon", "Mon,Wed", "Mon..Fri", "Mon-Fri", names of any case; undefined when the text starts otherwise. */
function readWeekdays(c: Cursor): ReadonlySet<number> | undefined {
  const days = new Set<number>();
  let rangeFrom = -1;
  for (let first = true; ; first = false) {
    const lower = c.text.slice(c.at).toLowerCase();
    const name = WEEKDAY_NAMES.find(([n]) => lower.startsWith(n));
    if (!name) {
      if (first) return undefined;
      c.fail('expected a weekday after "," or ".."');
    }
    const [word, day] = name;
    c.at += word.length;
    const next = c.text[c.at];
    if (next !== undefined && !['-', '.', ',', ' '].includes(next)) c.fail(`unknown weekday at ${JSON.stringify(c.text.slice(c.at - word.length))}`);
    if (rangeFrom >= 0) {
      if (rangeFrom > day) c.fail(`weekday range ${WEEKDAY_ABBREVIATIONS[rangeFrom]}..${WEEKDAY_ABBREVIATIONS[day]} goes backwards`);
      for (let d = rangeFrom; d <= day; d++) days.add(d);
      rangeFrom = -1;
    }
    days.add(day);
    if (next === undefined || next === ' ') break;
    if (next === '.') {
      if (c.text[c.at + 1] !== '.') c.fail('a weekday range is written "Mon..Fri"');
      rangeFrom = day;
      c.at += 2;
    } else if (next === '-') {
      rangeFrom = day;
      c.at += 1;
    } else {
      c.at += 1; // ","
    }
    // A trailing comma is allowed, an open range is not.
    if (c.at >= c.text.length || c.text[c.at] === ' ') {
      if (rangeFrom >= 0) c.fail('a weekday range needs an end');
      break;
    }
  }
  skipSpaces(c);
  // Every day of the week is no restriction at all.
  return days.size === 7 ? undefined : days;
}

/** parse_date: "YYYY-MM-DD", "MM-DD", "~" before the day for the end of the month; none when a time follows. */
function readDate(c: Cursor, spec: CalendarSpec): void {
  if (c.at >= c.text.length) return;
  const start = c.at;
  const first = readChain(c, false);
  const sep1 = c.text[c.at];
  if (sep1 === undefined || sep1 === ':') {
    c.at = start; // a time, not a date
    return;
  }
  if (sep1 !== '-' && sep1 !== '~') c.fail(`unexpected ${JSON.stringify(sep1)} in the date`);
  spec.endOfMonth = sep1 === '~';
  c.at++;
  const second = readChain(c, false);
  const sep2 = c.text[c.at];
  if (sep2 === undefined || sep2 === ' ') {
    spec.month = first;
    spec.day = second;
  } else {
    if (spec.endOfMonth) c.fail('"~" goes between the month and the day');
    if (sep2 !== '-' && sep2 !== '~') c.fail(`unexpected ${JSON.stringify(sep2)} in the date`);
    spec.endOfMonth = sep2 === '~';
    c.at++;
    spec.year = first?.map(fullYear);
    spec.month = second;
    spec.day = readChain(c, false);
    if (c.at < c.text.length && c.text[c.at] !== ' ') c.fail(`unexpected ${JSON.stringify(c.text.slice(c.at))} after the date`);
  }
  skipSpaces(c);
}

/** parse_calendar_time: "HH:MM" or "HH:MM:SS"; none at all is midnight. */
function readTime(c: Cursor, spec: CalendarSpec): void {
  const zero = () => [{ start: 0, stop: -1, repeat: 0 }];
  if (c.at >= c.text.length) {
    spec.hour = zero();
    spec.minute = zero();
    spec.second = zero();
    return;
  }
  spec.hour = readChain(c, false);
  if (c.text[c.at] !== ':') c.fail('a time is written HH:MM or HH:MM:SS');
  c.at++;
  spec.minute = readChain(c, false);
  if (c.at >= c.text.length) {
    spec.second = zero();
    return;
  }
  if (c.text[c.at] !== ':') c.fail('a time is written HH:MM or HH:MM:SS');
  c.at++;
  spec.second = readChain(c, true);
}

/** parse_chain: "*", or components separated by ",". */
function readChain(c: Cursor, usec: boolean): CalendarChain {
  if (c.text[c.at] === '*') {
    c.at++;
    // "*" seconds are every whole second.
    return usec ? [{ start: 0, stop: -1, repeat: USEC_PER_SEC }] : undefined;
  }
  const chain = [readComponent(c, usec)];
  while (c.text[c.at] === ',') {
    c.at++;
    chain.push(readComponent(c, usec));
  }
  return chain;
}

/** normalize_chain: sorted, without duplicates. */
function normalized(chain: CalendarChain): CalendarChain {
  if (!chain) return chain;
  const sorted = [...chain].sort((a, b) => a.start - b.start || a.stop - b.stop || a.repeat - b.repeat);
  return sorted.filter((x, i) => i === 0 || x.start !== sorted[i - 1]!.start || x.stop !== sorted[i - 1]!.stop || x.repeat !== sorted[i - 1]!.repeat);
}

/** prepend_component: "a", "a..b", "a/n", "a..b/n". */
function readComponent(c: Cursor, usec: boolean): CalendarComponent {
  const start = readNumber(c, usec);
  let stop = -1;
  let repeat = 0;
  if (c.text.startsWith('..', c.at)) {
    c.at += 2;
    stop = readNumber(c, usec);
    repeat = usec ? USEC_PER_SEC : 1;
  }
  if (c.text[c.at] === '/') {
    c.at++;
    repeat = readNumber(c, usec);
    if (repeat === 0) c.fail('a repetition of 0 never advances');
  } else if (usec && stop >= 0 && start + repeat > stop) {
    c.fail('a range of seconds must span at least one second');
  }
  if (stop >= 0 && stop < start) c.fail(`range ${fmt(start, usec)}..${fmt(stop, usec)} goes backwards`);
  if (c.at < c.text.length && !' ,-~:'.includes(c.text[c.at]!)) c.fail(`unexpected ${JSON.stringify(c.text[c.at])}`);
  // A range of one value is that value.
  if (stop === start) return { start, stop: -1, repeat: 0 };
  return { start, stop, repeat };
}

/** parse_component_decimal: digits; seconds may have a fraction ("1.5", microseconds). */
function readNumber(c: Cursor, usec: boolean): number {
  const m = /^\d+/.exec(c.text.slice(c.at));
  if (!m) c.fail(`expected a number at ${JSON.stringify(c.text.slice(c.at) || 'the end')}`);
  c.at += m[0].length;
  let value = Number(m[0]);
  if (value > 2 ** 31 - 1) c.fail(`${m[0]} is too large`);
  if (!usec) return value;
  value *= USEC_PER_SEC;
  // One "." is a decimal point, ".." a range.
  if (c.text[c.at] === '.' && c.text[c.at + 1] !== '.') {
    const f = /^\d*/.exec(c.text.slice(c.at + 1))![0];
    c.at += 1 + f.length;
    value += Number(f.slice(0, 6).padEnd(6, '0'));
  }
  return value;
}

/** Two-digit years: 12 is 2012, 89 is 1989. */
function fullYear(x: CalendarComponent): CalendarComponent {
  const full = (y: number) => (y >= 0 && y < 70 ? y + 2000 : y >= 70 && y < 100 ? y + 1900 : y);
  return { ...x, start: full(x.start), stop: x.stop < 0 ? x.stop : full(x.stop) };
}

/** chain_valid: every start (and stop) in bounds, and a repetition that fits at least once. */
function isChainValid(chain: CalendarChain, from: number, to: number, endOfMonth: boolean): boolean {
  return (chain ?? []).every(
    (x) => x.start >= from && x.start <= to && x.repeat <= to - from && (endOfMonth || x.start + x.repeat <= to) && (x.stop < 0 || (x.stop >= from && x.stop <= to)),
  );
}

function isTimeZoneName(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name) || /^(mon|tue|wed|thu|fri|sat|sun)/i.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function fmt(v: number, usec: boolean): string {
  return usec ? String(v / USEC_PER_SEC) : String(v);
}
