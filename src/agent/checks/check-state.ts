// One check's state across attempts, with Kubernetes' thresholds: a readiness check starts out
// not passing (one failure makes it failing; successThreshold successes make it passing); a
// liveness check starts out healthy (failureThreshold failures in a row make it failing). After
// that, failureThreshold failures in a row turn a passing check failing and successThreshold
// successes turn a failing one passing. Pure: the runner feeds it results and acts on transitions.
// While failing, a different failure ("connection refused", then "HTTP 404") is news too, but said
// at most every OUTPUT_REFRESH_MS: a command whose output changes on every attempt must not write
// the task's status on every attempt.
import type { CheckResult, ResolvedCheck } from '../../model/index.js';
import type { ProbeResult } from './probe.js';

/** How often a failing check may say that it fails differently now. */
export const OUTPUT_REFRESH_MS = 5_000;

export class CheckState {
  status: CheckResult['status'] = 'unknown';
  successes = 0;
  failures = 0;
  /** The output of the attempt that made the last transition (what status and messages show). */
  output = '';
  /** When `output` was last taken (ms). */
  private outputAt = 0;
  lastCheckedAt?: string;
  lastTransitionTime?: string;

  /** `previous`: what an earlier agent reported for this run's check, to carry on from (an agent restart is not a new run). */
  constructor(
    readonly check: ResolvedCheck,
    previous?: CheckResult,
  ) {
    if (!previous || previous.role !== check.role) return;
    this.status = previous.status;
    this.successes = previous.consecutiveSuccesses ?? 0;
    this.failures = previous.consecutiveFailures ?? 0;
    this.output = previous.output ?? '';
    this.lastCheckedAt = previous.lastCheckedAt;
    this.lastTransitionTime = previous.lastTransitionTime;
  }

  /** Counts one attempt; true when the status changed, or a failing check now fails differently (see above). */
  observe(r: ProbeResult, at: Date): boolean {
    this.lastCheckedAt = at.toISOString();
    if (r.ok) {
      this.successes++;
      this.failures = 0;
    } else {
      this.failures++;
      this.successes = 0;
    }
    const next = this.nextStatus(r.ok);
    if (next === this.status) {
      if (next !== 'failing' || r.ok || r.output === this.output || at.getTime() - this.outputAt < OUTPUT_REFRESH_MS) return false;
      this.output = r.output;
      this.outputAt = at.getTime();
      return true;
    }
    this.status = next;
    this.output = r.output;
    this.outputAt = at.getTime();
    this.lastTransitionTime = this.lastCheckedAt;
    return true;
  }

  private nextStatus(ok: boolean): CheckResult['status'] {
    const { successThreshold, failureThreshold, role } = this.check;
    if (ok) return this.status === 'passing' || this.successes >= successThreshold ? 'passing' : this.status;
    if (this.status === 'failing') return 'failing';
    const threshold = this.status === 'unknown' && role === 'readiness' ? 1 : failureThreshold;
    return this.failures >= threshold ? 'failing' : this.status;
  }

  result(): CheckResult {
    return {
      name: this.check.name,
      role: this.check.role,
      status: this.status,
      ...(this.output ? { output: this.output } : {}),
      consecutiveFailures: this.failures,
      consecutiveSuccesses: this.successes,
      ...(this.lastCheckedAt ? { lastCheckedAt: this.lastCheckedAt } : {}),
      ...(this.lastTransitionTime ? { lastTransitionTime: this.lastTransitionTime } : {}),
    };
  }
}
