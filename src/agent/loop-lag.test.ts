import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { until } from '../../test/until.js';
import { LoopLagMonitor } from './loop-lag.js';

/** A logger that keeps the messages of its warnings. */
function capture() {
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string }).msg) });
  return { log, warnings };
}

function block(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

describe('event loop lag', () => {
  it('warns when the loop was held past the threshold, once per process however many agents it holds', async () => {
    const first = capture();
    const second = capture();
    const a = new LoopLagMonitor(first.log, 20, 50);
    const b = new LoopLagMonitor(second.log, 20, 50);
    try {
      block(100);
      await until(() => first.warnings.length > 0, 'a lag warning');
      assert.match(first.warnings[0]!, /event loop lagged/);
      assert.deepEqual(second.warnings, [], 'the second agent in the process does not repeat the warning');
      // The first one gone, the next one speaks for the process.
      a.close();
      second.warnings.length = 0;
      block(100);
      await until(() => second.warnings.length > 0, 'a lag warning from the remaining monitor');
    } finally {
      a.close();
      b.close();
    }
  });
});
