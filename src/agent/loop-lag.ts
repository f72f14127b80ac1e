// Says when the agent's event loop lags: every heartbeat, status report and task start waits
// behind whatever holds it, and a lag near the grace period costs the machine its tasks.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Logger } from 'pino';

export class LoopLagMonitor {
  private readonly histogram: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;

  /** Checks every `everyMs`; warns when the longest delay in that time passed `warnMs`. */
  constructor(log: Logger, warnMs = 1_000, everyMs = 10_000) {
    this.histogram = monitorEventLoopDelay({ resolution: 20 });
    this.histogram.enable();
    this.timer = setInterval(() => {
      const maxMs = this.histogram.max / 1e6;
      if (maxMs > warnMs) log.warn({ maxLagMs: Math.round(maxMs), p99LagMs: Math.round(this.histogram.percentile(99) / 1e6) }, 'the agent\'s event loop lagged: heartbeats and task reports were late');
      this.histogram.reset();
    }, everyMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
