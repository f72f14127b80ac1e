import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BACKOFF_MAX_MS, BACKOFF_RESET_MS, planExit, type RunExit } from './run-exit.js';

const at = new Date('2024-02-27T12:00:00Z');
const exit = (code: number | null, signal: NodeJS.Signals | null = null) => ({ code, signal, finishedAt: at });
const base: RunExit = { status: exit(0), decision: undefined, templatePolicy: undefined, failures: 0, ranMs: 50 };

describe('planExit', () => {
  it('ends the run when the policy says no restart: Succeeded inactive/dead, or Failed failed/failed with the exit in words', () => {
    assert.deepEqual(planExit(base), {
      restart: false,
      status: { exitCode: 0, signal: null, finishedAt: at.toISOString(), pid: null, phase: 'Succeeded', reason: 'Completed', message: 'exited with code 0', unitState: { load: 'loaded', active: 'inactive', sub: 'dead' } },
    });
    const failed = planExit({ ...base, status: exit(null, 'SIGKILL'), templatePolicy: 'never' });
    assert.equal(failed.status.phase, 'Failed');
    assert.equal(failed.status.message, 'was killed by SIGKILL');
    assert.deepEqual(failed.status.unitState, { load: 'loaded', active: 'failed', sub: 'failed' });
    assert.equal(planExit({ ...base, templatePolicy: 'on-failure' }).restart, false, 'on-failure: a clean exit ends it');
  });

  it('restarts per policy, the driver\'s decision first, with a backoff that doubles, is capped, resets after a long run and respects RestartSec=', () => {
    const cases: Array<[Partial<RunExit>, number, number]> = [
      // [input, delayMs, failures after]
      [{ templatePolicy: 'always' }, 100, 1],
      [{ templatePolicy: 'always', failures: 3 }, 800, 4],
      [{ templatePolicy: 'always', failures: 20 }, BACKOFF_MAX_MS, 21],
      [{ templatePolicy: 'always', failures: 20, ranMs: BACKOFF_RESET_MS }, 100, 1],
      [{ status: exit(1), templatePolicy: 'on-failure', failures: 1 }, 200, 2],
      [{ templatePolicy: 'never', decision: { policy: 'always', delayMs: 5000 } }, 5000, 1],
    ];
    for (const [input, delayMs, failures] of cases) {
      const plan = planExit({ ...base, ...input });
      assert.ok(plan.restart, JSON.stringify(input));
      assert.equal(plan.delayMs, delayMs, JSON.stringify(input));
      assert.equal(plan.failures, failures, JSON.stringify(input));
      assert.equal(plan.status.phase, 'Starting');
      assert.deepEqual(plan.status.unitState, { load: 'loaded', active: 'activating', sub: 'auto-restart' });
    }
    const never = planExit({ ...base, status: exit(1), templatePolicy: 'always', decision: { policy: 'never' } });
    assert.equal(never.restart, false, 'the driver\'s rules win over the template\'s (a unit without Restart=)');
    const plan = planExit({ ...base, status: exit(2), templatePolicy: 'always', failures: 1 });
    assert.equal(plan.status.message, 'exited with code 2; restarting in 0.2s (restart policy always)');
  });

  it('a unit restarts after exactly RestartSec= and fails once its starts within StartLimitIntervalSec= reach StartLimitBurst=', () => {
    const now = 100_000;
    const decision = { policy: 'always' as const, delayMs: 100, fixedDelay: true, startLimit: { intervalMs: 10_000, burst: 5 } };
    const four = [now - 400, now - 300, now - 200, now - 100];
    const plan = planExit({ ...base, status: exit(1), decision, failures: 6, starts: four, now });
    assert.ok(plan.restart);
    assert.equal(plan.delayMs, 100, 'no backoff on top of RestartSec=');
    const hit = planExit({ ...base, status: exit(1), decision, starts: [...four, now - 10], now });
    assert.equal(hit.restart, false);
    assert.equal(hit.status.phase, 'Failed');
    assert.equal(hit.status.reason, 'StartLimitHit');
    assert.deepEqual(hit.status.unitState, { load: 'loaded', active: 'failed', sub: 'failed' });
    assert.match(hit.status.message!, /^exited with code 1; start request repeated too quickly \(5 starts within 10s: StartLimitBurst=5/);
    const spread = planExit({ ...base, status: exit(1), decision, starts: [now - 40_000, now - 30_000, now - 20_000, now - 11_000, now - 10], now });
    assert.ok(spread.restart, 'starts older than the interval do not count');
  });
});
