// systemd time spans (systemd.time(5); systemd 252's parse_time), as RestartSec=, TimeoutStopSec=
// and friends take them: "5" (seconds), "5s", "500ms", "1min 30s", "1min30", "1.5h", ".5",
// "infinity". Components add up; blanks between a number and its unit are allowed; a fraction
// needs a digit after the dot; units: us usec µs μs, ms msec, s sec second(s), m min minute(s),
// h hr hour(s), d day(s), w week(s), M month(s) (30.44 d), y year(s) (365.25 d).

const SEC = 1_000_000;
const UNITS: ReadonlyArray<readonly [string, number]> = [
  // first match wins, so longer spellings come before their prefixes ("ms" before "m")
  ['seconds', SEC], ['second', SEC], ['sec', SEC], ['s', SEC],
  ['minutes', 60 * SEC], ['minute', 60 * SEC], ['min', 60 * SEC],
  ['months', 2_629_800 * SEC], ['month', 2_629_800 * SEC], ['M', 2_629_800 * SEC],
  ['msec', 1000], ['ms', 1000], ['m', 60 * SEC],
  ['hours', 3600 * SEC], ['hour', 3600 * SEC], ['hr', 3600 * SEC], ['h', 3600 * SEC],
  ['days', 86_400 * SEC], ['day', 86_400 * SEC], ['d', 86_400 * SEC],
  ['weeks', 604_800 * SEC], ['week', 604_800 * SEC], ['w', 604_800 * SEC],
  ['years', 31_557_600 * SEC], ['year', 31_557_600 * SEC], ['y', 31_557_600 * SEC],
  ['usec', 1], ['us', 1], ['\u03bcs', 1], ['\u00b5s', 1],
];
const MAX_USEC = 2 ** 64 - 1;

const isBlank = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/**
 * Microseconds, Infinity for "infinity", or undefined when systemd would refuse the text.
 * `defaultUnitUsec` applies to bare numbers (seconds unless said otherwise).
 */
export function parseTimespanUsec(text: string, defaultUnitUsec = SEC): number | undefined {
  let p = 0;
  const skipBlanks = () => {
    while (isBlank(text[p])) p++;
  };
  skipBlanks();
  if (text.startsWith('infinity', p)) {
    p += 'infinity'.length;
    skipBlanks();
    return p === text.length ? Infinity : undefined;
  }
  let total = 0;
  let something = false;
  for (;;) {
    skipBlanks();
    if (p >= text.length) return something ? total : undefined;
    if (text[p] === '-') return undefined;
    // strtoll: an optional "+", then digits
    const numberStart = p;
    let e = p;
    if (text[e] === '+' && isDigit(text[e + 1])) e++;
    while (isDigit(text[e])) e++;
    const whole = text.slice(numberStart, e).replace('+', '');
    if (whole.length > 19) return undefined; // beyond long long
    const hasDigits = whole.length > 0;
    let fraction = '';
    if (text[e] === '.') {
      let b = e + 1;
      while (isDigit(text[b])) b++;
      fraction = text.slice(e + 1, b);
      p = b;
    } else if (!hasDigits) return undefined;
    else p = e;

    let q = p;
    while (isBlank(text[q])) q++;
    let multiplier = defaultUnitUsec;
    const unit = UNITS.find(([suffix]) => text.startsWith(suffix, q));
    if (unit) {
      multiplier = unit[1];
      p = q + unit[0].length;
    } else if (p < text.length && q === p) return undefined; // "12.34.56"
    else p = q;

    const value = (hasDigits ? Number(whole) : 0) * multiplier;
    if (text[e] === '.') {
      if (fraction === '') return undefined; // "5.", "3.sec"
      let m = Math.floor(multiplier / 10);
      let part = 0;
      for (const d of fraction) {
        part += Number(d) * m;
        m = Math.floor(m / 10);
      }
      total += part;
    }
    total += value;
    if (total >= MAX_USEC) return undefined;
    something = true;
  }
}

/** Milliseconds (possibly fractional), Infinity, or undefined when invalid. */
export function parseTimespanMs(text: string, defaultUnitUsec = SEC): number | undefined {
  const usec = parseTimespanUsec(text, defaultUnitUsec);
  return usec === undefined || usec === Infinity ? usec : usec / 1000;
}
