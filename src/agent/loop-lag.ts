// Says when the agent's event loop lags: every heartbeat, status report and task start waits
// behind whatever holds it, and a lag near the grace period costs the machine its tasks.
// The loop is the process's, so agents in one process (a hollow fleet) share one sampler: each
// sampled the loop on its own timer, and 2,000 of them were 18 % of a fleet's CPU.
import type { Logger } from 'pino';

interface Shared {
  sampler: NodeJS.Timeout;
  check: NodeJS.Timeout;
  monitors: Set<LoopLagMonitor>;
}

let shared: Shared | undefined;

export class LoopLagMonitor {
  /** Checks every `everyMs`; warns when a timer in that time fired more than `warnMs` late. The first monitor of a process sets both. */
  constructor(
    readonly log: Logger,
    private readonly warnMs = 1_000,
    everyMs = 10_000,
  ) {
    shared ??= start(everyMs, warnMs);
    shared.monitors.add(this);
  }

  close(): void {
    if (!shared?.monitors.delete(this) || shared.monitors.size > 0) return;
    clearInterval(shared.sampler);
    clearInterval(shared.check);
    shared = undefined;
  }

  /** The loop lagged past this monitor's threshold: one warning per process, from the first monitor. */
  check(maxLagMs: number): void {
    if (maxLagMs > this.warnMs) this.log.warn({ maxLagMs: Math.round(maxLagMs) }, 'the agent\'s event loop lagged: heartbeats and task reports were late');
  }
}

/**
 * A timer every tenth of the threshold measures how late it fires. Not monitorEventLoopDelay: at
 * the 20 ms it sampled at, its 50 wake-ups a second were a third of an idle agent's CPU
 * (agent-idle: 0.8-0.9 % -> 0.5-0.6 % of a core), and its reset between checks dropped a lag
 * that began right after one (the first sample after a reset is not recorded).
 */
function start(everyMs: number, warnMs: number): Shared {
  const periodMs = Math.min(100, Math.max(5, Math.round(warnMs / 10)));
  let last = performance.now();
  let maxLagMs = 0;
  const sampler = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - last - periodMs);
    last = now;
  }, periodMs);
  const monitors = new Set<LoopLagMonitor>();
  const check = setInterval(() => {
    monitors.values().next().value?.check(maxLagMs);
    maxLagMs = 0;
  }, everyMs);
  sampler.unref();
  check.unref();
  return { sampler, check, monitors };
}
