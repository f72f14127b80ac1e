// Cron schedules, read by croner: five fields (minute first), six with seconds first (drover's
// addition: Kubernetes has no seconds, short periods need them), or a macro (@hourly, @daily,
// @weekly, @monthly, @yearly/@annually), in an IANA time zone (default UTC).
import { Cron } from 'croner';

export interface CronSchedule {
  /** The first scheduled time strictly after `after`, or undefined when there is none. */
  next(after: Date): Date | undefined;
  /** The last scheduled time at or before `at`. */
  latest(at: Date): Date | undefined;
}

const MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** Why `schedule` (in `timeZone`) cannot be used, or undefined when it can. */
export function scheduleProblem(schedule: string, timeZone?: string): string | undefined {
  if (timeZone !== undefined && !isTimeZone(timeZone)) return `unknown time zone "${timeZone}": use an IANA name such as "Europe/Paris" or "UTC"`;
  const text = schedule.trim();
  if (text.startsWith('@')) return MACROS.has(text.toLowerCase()) ? undefined : `unknown macro "${text}": use @yearly, @monthly, @weekly, @daily or @hourly`;
  const fields = text.split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return `a schedule has 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), got ${fields}`;
  try {
    new Cron(text, { paused: true, timezone: timeZone ?? 'UTC' });
    return undefined;
  } catch (err) {
    return `invalid schedule "${text}": ${(err as Error).message.replace(/^CronPattern: /, '')}`;
  }
}

/** The schedule; throws on one scheduleProblem refuses (validation keeps those out of the store). */
export function cronSchedule(schedule: string, timeZone?: string): CronSchedule {
  const cron = new Cron(schedule.trim(), { paused: true, timezone: timeZone ?? 'UTC' });
  return {
    next: (after) => cron.nextRun(after) ?? undefined,
    // previousRuns is exclusive of its reference: one millisecond later includes `at`.
    latest: (at) => cron.previousRuns(1, new Date(at.getTime() + 1))[0],
  };
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
