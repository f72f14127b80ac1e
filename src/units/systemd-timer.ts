// What a .timer unit's options mean (systemd.timer(5); systemd 252's timer.c and
// load-fragment.c), as plain data for the agent: the monotonic triggers (OnActiveSec=,
// OnBootSec=, OnStartupSec=, OnUnitActiveSec=, OnUnitInactiveSec=), the calendar ones
// (OnCalendar=), Persistent=, RemainAfterExit-like RemainAfterElapse=, RandomizedDelaySec= and
// the unit it activates (Unit=, by default the .service of the same name). As for services, a
// value systemd would log and ignore is a warning; a timer with no trigger at all is refused, as
// timer_verify refuses it.
import type { UnitOption } from '../model/index.js';
import { CalendarSpecError, parseCalendarSpec, type CalendarSpec } from './calendar.js';
import { UnitFileError, type UnitWarning } from './errors.js';
import { parseUnitName } from './names.js';
import { serializeUnit } from './parse.js';
import { expandSpecifiers, type SpecifierContext } from './specifiers.js';
import { readUnitText } from './systemd-conf.js';
import { settingOf, type Setting } from './systemd-settings.js';
import { isValidSystemdUnitName, parseSystemdBoolean } from './systemd-values.js';
import { parseTimespanMs } from './timespan.js';

/** The monotonic triggers: each is relative to its base, in milliseconds. */
export interface TimerSpans {
  /** OnActiveSec=: after the timer itself was started (once). */
  active: number[];
  /** OnBootSec=: after the machine booted (once). */
  boot: number[];
  /** OnStartupSec=: after the agent started (once). */
  startup: number[];
  /** OnUnitActiveSec=: after the activated unit last became active (again and again). */
  unitActive: number[];
  /** OnUnitInactiveSec=: after the activated unit last became inactive (again and again). */
  unitInactive: number[];
}

export interface TimerUnit {
  description: string | undefined;
  spans: TimerSpans;
  calendars: Array<{ text: string; spec: CalendarSpec }>;
  /** Persistent=: the last trigger is kept on disk, and a calendar elapse missed meanwhile runs at once. */
  persistent: boolean;
  /** RemainAfterElapse=: an elapsed timer with nothing left to wait for stays active (elapsed). */
  remainAfterElapse: boolean;
  /** RandomizedDelaySec=: each elapse is delayed by a random time up to this. */
  randomizedDelayMs: number;
  /** The unit to activate: Unit=, else the .service of the same name. */
  unit: string;
  warnings: UnitWarning[];
}

export interface InterpretTimerOptions {
  /** The timer's own name ("backup.timer"). */
  unitName: string;
  specifiers?: SpecifierContext;
}

const SPAN_SETTINGS: Record<string, keyof TimerSpans> = {
  OnActiveSec: 'active',
  OnBootSec: 'boot',
  OnStartupSec: 'startup',
  OnUnitActiveSec: 'unitActive',
  OnUnitInactiveSec: 'unitInactive',
};
// Settings drover reads and that change nothing for it.
const ACCEPTED = new Set(['Timer.AccuracySec', 'Timer.WakeSystem', 'Unit.Documentation', 'Unit.SourcePath', 'Unit.DefaultDependencies']);

/** Interprets a timer's options; throws UnitFileError for what systemd refuses to load. */
export function interpretTimer(options: readonly UnitOption[], opts: InterpretTimerOptions): TimerUnit {
  const info = parseUnitName(opts.unitName);
  if (info?.type !== 'timer') throw new UnitFileError(`${JSON.stringify(opts.unitName)} is not a timer unit`);
  if (info.isTemplate) throw new UnitFileError(`${JSON.stringify(opts.unitName)} is a template: run an instance of it, such as ${JSON.stringify(`${info.prefix}@1.timer`)}`);
  const { assignments, warnings } = readUnitText(serializeUnit(options), ['Unit', 'Timer', 'Install']);
  const timer: TimerUnit = {
    description: undefined,
    spans: { active: [], boot: [], startup: [], unitActive: [], unitInactive: [] },
    calendars: [],
    persistent: false,
    remainAfterElapse: true,
    randomizedDelayMs: 0,
    unit: `${info.name}.service`,
    warnings,
  };
  const scope = { unitName: opts.unitName, resolve: (text: string) => expandSpecifiers(text, opts.unitName, opts.specifiers), warnings };
  for (const a of assignments) {
    const setting = settingOf(a, scope);
    const key = `${a.section}.${a.name}`;
    if (a.section === 'Install' || ACCEPTED.has(key)) continue;
    if (key === 'Unit.Description') timer.description = a.value === '' ? undefined : (setting.resolveOrWarn(a.value) ?? timer.description);
    else if (a.section === 'Unit') setting.warn(`${a.name}= is not supported for timers by drover; ignoring it`);
    else if (a.name in SPAN_SETTINGS) span(timer, SPAN_SETTINGS[a.name]!, setting);
    else if (a.name === 'OnCalendar') calendar(timer, setting);
    else if (a.name === 'Persistent') timer.persistent = boolean(setting, timer.persistent);
    else if (a.name === 'RemainAfterElapse') timer.remainAfterElapse = boolean(setting, timer.remainAfterElapse);
    else if (a.name === 'RandomizedDelaySec') timer.randomizedDelayMs = timespan(setting) ?? timer.randomizedDelayMs;
    else if (a.name === 'Unit') timer.unit = triggeredUnit(setting) ?? timer.unit;
    else setting.warn(`${a.name}= is not supported by drover's timers; ignoring it`);
  }
  const s = timer.spans;
  if (s.active.length + s.boot.length + s.startup.length + s.unitActive.length + s.unitInactive.length + timer.calendars.length === 0) {
    throw new UnitFileError('timer has no trigger: add OnCalendar=, OnActiveSec=, OnBootSec=, OnStartupSec=, OnUnitActiveSec= or OnUnitInactiveSec=', { section: 'Timer' });
  }
  return timer;
}

/** config_parse_timer: an empty value forgets every trigger set so far, of every kind. */
function reset(timer: TimerUnit): void {
  for (const list of Object.values(timer.spans) as number[][]) list.length = 0;
  timer.calendars.length = 0;
}

function span(timer: TimerUnit, kind: keyof TimerSpans, s: Setting): void {
  if (s.value === '') return reset(timer);
  const ms = timespan(s);
  if (ms === undefined) return;
  if (ms === Infinity) return s.warn('a timer of "infinity" never elapses; ignoring it');
  timer.spans[kind].push(ms);
}

function calendar(timer: TimerUnit, s: Setting): void {
  if (s.value === '') return reset(timer);
  const text = s.resolveOrWarn(s.value);
  if (text === undefined) return;
  try {
    timer.calendars.push({ text, spec: parseCalendarSpec(text) });
  } catch (err) {
    if (!(err instanceof CalendarSpecError)) throw err;
    s.warn(`${err.message}; ignoring`);
  }
}

function timespan(s: Setting): number | undefined {
  const text = s.resolveOrWarn(s.value);
  if (text === undefined) return undefined;
  const ms = parseTimespanMs(text);
  if (ms === undefined) s.warn(`failed to parse time span ${JSON.stringify(text)}; ignoring (write it as "30s", "5min", "1h 30min")`);
  return ms;
}

function boolean(s: Setting, previous: boolean): boolean {
  const b = parseSystemdBoolean(s.value);
  if (b === undefined) s.warn(`failed to parse boolean value ${JSON.stringify(s.value)}; ignoring (use yes or no)`);
  return b ?? previous;
}

/** config_parse_trigger_unit: a valid unit name that is not itself a timer. */
function triggeredUnit(s: Setting): string | undefined {
  const name = s.resolveOrWarn(s.value);
  if (name === undefined) return undefined;
  if (!isValidSystemdUnitName(name)) {
    s.warn(`not a valid unit name: ${JSON.stringify(name)}; ignoring`);
    return undefined;
  }
  if (name.endsWith('.timer')) {
    s.warn(`a timer cannot activate another timer (${JSON.stringify(name)}); ignoring`);
    return undefined;
  }
  return name;
}
