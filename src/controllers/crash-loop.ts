// Crash loops, seen from the server. A service whose tasks fail as soon as they start (a typo in
// the command, a port already taken) must not be replaced in a tight loop: replacing finished
// tasks backs off per service, exponentially and capped, and a task that ran for a while resets
// it (Kubernetes' CrashLoopBackOff). Tasks restarted by their agent (restart policy always or
// on-failure) back off on the agent; the service still says why it is not ready.
// Pure: everything is read from the tasks' status.
import { MISSING_BINARY, type Condition, type Task } from '../model/index.js';

/** A run shorter than this counts as a crash; a longer one ends the loop (the agent uses the same). */
export const CRASH_RESET_MS = 10_000;
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 5 * 60_000;

export interface CrashLoop {
  /** Consecutive crashes, newest first. */
  failures: number;
  /** When the next replacement may be created (ms since the epoch); none while a task is crash-looping on its agent. */
  retryAt?: number;
  /** No replacement until the task is deleted or the template changes: starting it again would fail the same way (MissingBinary). */
  blocked?: boolean;
  condition: Condition;
}

/**
 * The crash loop of a service, judged from the tasks it owns of its current template: `finished`
 * (Succeeded or Failed, newest last) and `live`. Undefined when there is none.
 */
export function crashLoopOf(finished: readonly Task[], live: readonly Task[], now: number): CrashLoop | undefined {
  // A machine without the program: the same start fails the same way however long one waits.
  const newest = finished[finished.length - 1];
  if (newest?.status?.reason === MISSING_BINARY) {
    return {
      failures: 1,
      blocked: true,
      condition: { type: 'CrashLoopBackOff', status: 'True', reason: MISSING_BINARY, message: `task ${newest.metadata.name} could not start: ${newest.status.message ?? ''}; not replaced until it is deleted (delete it once the program is installed) or the template changes` },
    };
  }
  // A live task that has run long enough ends any loop.
  if (live.some((t) => t.status?.phase === 'Running' && !isCrashing(t, now))) return undefined;
  let failures = 0;
  for (let i = finished.length - 1; i >= 0 && isCrash(finished[i]!); i--) failures++;
  const last = failures > 0 ? finished[finished.length - 1]! : undefined;
  const lastFinished = last?.status?.finishedAt ? Date.parse(last.status.finishedAt) : NaN;
  if (last && !Number.isNaN(lastFinished)) {
    const delay = Math.min(BACKOFF_BASE_MS * 2 ** (failures - 1), BACKOFF_MAX_MS);
    const retryAt = lastFinished + delay;
    const wait = retryAt > now ? `; the next replacement in ${seconds(retryAt - now)}` : '';
    return {
      failures,
      retryAt,
      condition: crashCondition(`task ${last.metadata.name} ${endOf(last)}${failures > 1 ? ` (${failures} crashes in a row)` : ''}${wait}`),
    };
  }
  // Crash-looping on its agent: it restarts the task itself, backing off there.
  const looping = live.find((t) => isCrashing(t, now));
  if (looping) {
    const s = looping.status!;
    const what = s.phase === 'Running' ? `restarted ${s.restarts} time${s.restarts === 1 ? '' : 's'} and is running again` : (s.message || `is ${s.phase}`);
    return { failures: s.restarts ?? 1, condition: crashCondition(`task ${looping.metadata.name} ${what}`) };
  }
  return undefined;
}

/** A task its agent keeps restarting: it restarted and has not run for long since. */
function isCrashing(t: Task, now: number): boolean {
  const s = t.status;
  if (!s?.restarts) return false;
  if (s.phase !== 'Running') return s.reason === 'BackOff';
  const started = s.startedAt ? Date.parse(s.startedAt) : NaN;
  return Number.isNaN(started) || now - started < CRASH_RESET_MS;
}

/** A finished task that ended on its own soon after it started (or never started). */
function isCrash(t: Task): boolean {
  const s = t.status;
  if (s?.phase !== 'Failed' && s?.phase !== 'Succeeded') return false;
  if (!s.startedAt) return true;
  const ran = Date.parse(s.finishedAt ?? '') - Date.parse(s.startedAt);
  return Number.isNaN(ran) || ran < CRASH_RESET_MS;
}

function endOf(t: Task): string {
  const s = t.status!;
  const how = s.message || (s.exitCode !== undefined && s.exitCode !== null ? `exited with code ${s.exitCode}` : `ended ${s.phase}`);
  return s.reason === 'StartFailed' ? `could not start: ${how}` : how;
}

function crashCondition(message: string): Condition {
  return { type: 'CrashLoopBackOff', status: 'True', reason: 'CrashLoopBackOff', message };
}

function seconds(ms: number): string {
  return `${Math.ceil(ms / 1000)}s`;
}
