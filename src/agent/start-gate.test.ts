import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StartGate } from './start-gate.js';

describe('task starts are paced', () => {
  it('runs at most `concurrency` starts at a time', async () => {
    const gate = new StartGate(3);
    let now = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        gate.run(async () => {
          most = Math.max(most, ++now);
          await new Promise((r) => setTimeout(r, 1));
          now--;
        }),
      ),
    );
    assert.equal(most, 3);
  });

  it('lets the event loop run between starts: a heartbeat timer due meanwhile fires before a burst of synchronous starts is done', async () => {
    const gate = new StartGate(4);
    let started = 0;
    let startedWhenBeat = -1;
    const beat = new Promise<void>((resolve) =>
      setTimeout(() => {
        startedWhenBeat = started;
        resolve();
      }, 0),
    );
    // Each start blocks like a spawn does (synchronous work, no await inside).
    const busy = (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until);
    };
    await Promise.all([beat, ...Array.from({ length: 200 }, () => gate.run(async () => (busy(1), started++)))]);
    assert.equal(started, 200);
    assert.ok(startedWhenBeat >= 0 && startedWhenBeat < 200, `the timer fired after ${startedWhenBeat} of 200 starts`);
  });

  it('a start that fails frees its slot', async () => {
    const gate = new StartGate(1);
    await assert.rejects(gate.run(async () => Promise.reject(new Error('spawn failed'))), /spawn failed/);
    assert.equal(await gate.run(async () => 'next'), 'next');
  });
});
