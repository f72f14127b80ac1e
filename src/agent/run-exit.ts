// What a run that ended on its own leads to, decided from its exit and the restart policy (the
// driver's, as a unit's Restart=, else the template's): a restart after a backoff — exponential,
// capped, reset by a run that lasted, and never shorter than the driver's own delay (RestartSec=)
// — or the end of the run, with the phase, words and systemd-style state to report. Pure: the
// task runner acts on it.
import type { Task } from '../client/client.js';
import type { RestartDecision } from './drivers/driver.js';
import { describeExit } from './exit-description.js';
import type { ExitStatus } from './supervisor.js';

export const BACKOFF_MIN_MS = 100;
export const BACKOFF_MAX_MS = 30_000;
/** A run that lasted this long resets the backoff. */
export const BACKOFF_RESET_MS = 10_000;

type Status = NonNullable<Task['status']>;

export interface RunExit {
  status: ExitStatus;
  /** The driver's restart rules for this exit, if it has some. */
  decision: RestartDecision | undefined;
  templatePolicy: 'always' | 'on-failure' | 'never' | undefined;
  /** Restarts in a row so far, and how long this run lasted. */
  failures: number;
  ranMs: number;
  /** When recent runs started (ms since the epoch, this run's last), for a driver's start limit; and now. */
  starts?: readonly number[];
  now?: number;
}

export type ExitPlan =
  | { restart: true; delayMs: number; failures: number; status: Status }
  | { restart: false; status: Status };

export function planExit({ status, decision, templatePolicy, failures, ranMs, starts = [], now = Date.now() }: RunExit): ExitPlan {
  const policy = decision?.policy ?? templatePolicy ?? 'never';
  const ok = status.code === 0;
  const exit = { exitCode: status.code, signal: status.signal, finishedAt: status.finishedAt.toISOString(), pid: null };
  const { how, reason } = describeExit(status);
  if (policy === 'always' || (policy === 'on-failure' && !ok)) {
    const limit = decision?.startLimit;
    const recent = limit ? starts.filter((t) => t > now - limit.intervalMs).length : 0;
    if (limit && recent >= limit.burst) {
      // systemd refuses the next start and leaves the unit failed with result start-limit-hit.
      const seconds = limit.intervalMs / 1000;
      return {
        restart: false,
        status: {
          ...exit,
          phase: 'Failed',
          reason: 'StartLimitHit',
          message: `${how}; start request repeated too quickly (${recent} starts within ${seconds}s: StartLimitBurst=${limit.burst}, StartLimitIntervalSec=${seconds}s), not restarting`,
          unitState: { load: 'loaded', active: 'failed', sub: 'failed' },
        },
      };
    }
    const inARow = ranMs >= BACKOFF_RESET_MS ? 0 : failures;
    const backoff = decision?.fixedDelay ? 0 : Math.min(BACKOFF_MIN_MS * 2 ** inARow, BACKOFF_MAX_MS);
    const delayMs = Math.max(decision?.delayMs ?? 0, backoff);
    return {
      restart: true,
      delayMs,
      failures: inARow + 1,
      status: {
        ...exit,
        phase: 'Starting',
        reason: 'BackOff',
        message: `${how}; restarting in ${(delayMs / 1000).toFixed(1)}s (restart policy ${policy})`,
        lastTermination: { reason, message: how, exitCode: exit.exitCode, signal: exit.signal, finishedAt: exit.finishedAt },
        unitState: { load: 'loaded', active: 'activating', sub: 'auto-restart' },
      },
    };
  }
  return {
    restart: false,
    status: {
      ...exit,
      phase: ok ? 'Succeeded' : 'Failed',
      reason,
      message: how,
      unitState: ok ? { load: 'loaded', active: 'inactive', sub: 'dead' } : { load: 'loaded', active: 'failed', sub: 'failed' },
    },
  };
}
