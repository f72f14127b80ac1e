import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { until } from '../../test/until.js';
import { LoopLagMonitor } from './loop-lag.js';

/** A logger that keeps the messages of its warnings, and the lag each reported. */
function capture() {
  const warnings: string[] = [];
  const lags: number[] = [];
  const log = pino(
    { level: 'warn' },
    {
      write: (line: string) => {
        const { msg, maxLagMs } = JSON.parse(line) as { msg: string; maxLagMs: number };
        warnings.push(msg);
        lags.push(maxLagMs);
      },
    },
  );
  return { log, warnings, lags };
}

function block(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

describe('event loop lag', () => {
  it('warns when the loop was held past the threshold, once per process however many agents it holds', async () => {
    const first = capture();
    const second = capture();
    const a = new LoopLagMonitor(first.log, 100, 50);
    const b = new LoopLagMonitor(second.log, 100, 50);
    try {
      // Blocked from the start: the first sample must count (a lag right after a check too).
      block(300);
      await until(() => first.warnings.length > 0, 'a lag warning');
      assert.match(first.warnings[0]!, /event loop lagged/);
      // A timer due 10 ms into the block fired ~290 ms late.
      assert.ok(first.lags[0]! >= 200, `reported lag ${first.lags[0]} ms for a 300 ms block`);
      assert.deepEqual(second.warnings, [], 'the second agent in the process does not repeat the warning');
      // The first one gone, the next one speaks for the process.
      a.close();
      second.warnings.length = 0;
      block(300);
      await until(() => second.warnings.length > 0, 'a lag warning from the remaining monitor');
    } finally {
      a.close();
      b.close();
    }
  });
});
