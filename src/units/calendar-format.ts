// systemd's normalized form of a calendar event (calendar_spec_to_string), as
// `systemd-analyze calendar` prints it: for messages, and to check the parser against systemd.
import { USEC_PER_SEC, WEEKDAY_ABBREVIATIONS, type CalendarChain, type CalendarSpec } from './calendar.js';

/** systemd's normalized form of a calendar event ("Mon..Fri *-*-* 09:00:00"). */
export function formatCalendarSpec(spec: CalendarSpec): string {
  const parts: string[] = [];
  if (spec.weekdays) parts.push(formatWeekdays(spec.weekdays));
  parts.push(`${formatChain(spec.year, 4, false)}-${formatChain(spec.month, 2, false)}${spec.endOfMonth ? '~' : '-'}${formatChain(spec.day, 2, false)}`);
  parts.push(`${formatChain(spec.hour, 2, false)}:${formatChain(spec.minute, 2, false)}:${formatChain(spec.second, 2, true)}`);
  if (spec.utc) parts.push('UTC');
  return parts.join(' ');
}

function formatWeekdays(days: ReadonlySet<number>): string {
  const out: string[] = [];
  for (let d = 0; d < 7; d++) {
    if (!days.has(d)) continue;
    let end = d;
    while (days.has(end + 1)) end++;
    if (end - d >= 2) out.push(`${WEEKDAY_ABBREVIATIONS[d]}..${WEEKDAY_ABBREVIATIONS[end]}`);
    else for (let x = d; x <= end; x++) out.push(WEEKDAY_ABBREVIATIONS[x]!);
    d = end;
  }
  return out.join(',');
}

function formatChain(chain: CalendarChain, width: number, usec: boolean): string {
  if (!chain) return '*';
  const unit = usec ? USEC_PER_SEC : 1;
  if (usec && chain.length === 1 && chain[0]!.start === 0 && chain[0]!.repeat === USEC_PER_SEC && chain[0]!.stop < 0) return '*';
  const num = (v: number) => `${String(Math.floor(v / unit)).padStart(width, '0')}${v % unit > 0 ? `.${String(v % unit).padStart(6, '0')}` : ''}`;
  return chain
    .map((x) => {
      let s = num(x.start);
      if (x.stop >= 0) s += `..${num(x.stop)}`;
      if (x.repeat > 0 && !(x.stop >= 0 && x.repeat === unit)) s += `/${Math.floor(x.repeat / unit)}${x.repeat % unit > 0 ? `.${String(x.repeat % unit).padStart(6, '0')}` : ''}`;
      return s;
    })
    .join(',');
}
