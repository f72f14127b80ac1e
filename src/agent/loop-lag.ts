// Says when the agent's event loop lags: every heartbeat, status report and task start waits
// behind whatever holds it, and a lag near the grace period costs the machine its tasks.
// The loop is the process's, so agents in one process (a hollow fleet) share one histogram: each
// histogram samples the loop on its own timer, and 2,000 of them were 18 % of a fleet's CPU.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Logger } from 'pino';

interface Shared {
  histogram: IntervalHistogram;
  timer: NodeJS.Timeout;
  monitors: Set<LoopLagMonitor>;
}

let shared: Shared | undefined;

export class LoopLagMonitor {
  /** Checks every `everyMs`; warns when the longest delay in that time passed `warnMs`. The first monitor of a process sets both. */
  constructor(
    readonly log: Logger,
    private readonly warnMs = 1_000,
    everyMs = 10_000,
  ) {
    shared ??= start(everyMs);
    shared.monitors.add(this);
  }

  close(): void {
    if (!shared?.monitors.delete(this) || shared.monitors.size > 0) return;
    clearInterval(shared.timer);
    shared.histogram.disable();
    shared = undefined;
  }

  /** The loop lagged past this monitor's threshold: one warning per process, from the first monitor. */
  check(histogram: IntervalHistogram): void {
    const maxMs = histogram.max / 1e6;
    if (maxMs > this.warnMs) this.log.warn({ maxLagMs: Math.round(maxMs), p99LagMs: Math.round(histogram.percentile(99) / 1e6) }, 'the agent\'s event loop lagged: heartbeats and task reports were late');
  }
}

function start(everyMs: number): Shared {
  const histogram = monitorEventLoopDelay({ resolution: 20 });
  histogram.enable();
  const monitors = new Set<LoopLagMonitor>();
  const timer = setInterval(() => {
    monitors.values().next().value?.check(histogram);
    histogram.reset();
  }, everyMs);
  timer.unref();
  return { histogram, timer, monitors };
}
