import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveChecks } from '../../model/index.js';
import { CheckState, OUTPUT_REFRESH_MS } from './check-state.js';

const at = new Date(0);
const state = (role: 'readiness' | 'liveness', thresholds: { successThreshold?: number; failureThreshold?: number } = {}) =>
  new CheckState(resolveChecks({ checks: [{ type: 'tcp', role, port: 1, ...thresholds }] })[0]!);

/** Feeds attempts ("+" passes, "-" fails) and returns the status after each. */
function run(s: CheckState, attempts: string): string[] {
  return [...attempts].map((a) => {
    s.observe({ ok: a === '+', output: a }, at);
    return s.status;
  });
}

describe('check thresholds (Kubernetes semantics)', () => {
  const cases: [string, CheckState, string, string[]][] = [
    ['readiness: one failure before any success makes it failing', state('readiness'), '-', ['failing']],
    ['readiness: passing after one success by default', state('readiness'), '+', ['passing']],
    ['readiness: successThreshold 2 needs two in a row', state('readiness', { successThreshold: 2 }), '++', ['unknown', 'passing']],
    ['readiness: a passing check fails after failureThreshold in a row', state('readiness'), '+--+---', ['passing', 'passing', 'passing', 'passing', 'passing', 'passing', 'failing']],
    ['readiness: a failing check passes again after successThreshold', state('readiness', { successThreshold: 2 }), '-+-++', ['failing', 'failing', 'failing', 'failing', 'passing']],
    ['liveness: healthy until failureThreshold failures in a row', state('liveness', { failureThreshold: 2 }), '--', ['unknown', 'failing']],
  ];
  for (const [name, s, attempts, want] of cases) {
    it(name, () => assert.deepEqual(run(s, attempts), want));
  }

  it('keeps the output of the attempt that made the transition, and says when it changed', () => {
    const s = state('readiness');
    assert.equal(s.observe({ ok: false, output: 'HTTP 503' }, new Date(1_000)), true);
    assert.equal(s.observe({ ok: false, output: 'connection refused' }, new Date(2_000)), false);
    const r = s.result();
    assert.equal(r.output, 'HTTP 503');
    assert.equal(r.consecutiveFailures, 2);
    assert.equal(r.lastTransitionTime, new Date(1_000).toISOString());
    assert.equal(r.lastCheckedAt, new Date(2_000).toISOString());
    // Failing differently is said, but not more often than every few seconds.
    assert.equal(s.observe({ ok: false, output: 'HTTP 404' }, new Date(1_000 + OUTPUT_REFRESH_MS)), true);
    assert.equal(s.result().output, 'HTTP 404');
    assert.equal(s.result().lastTransitionTime, new Date(1_000).toISOString(), 'still failing since the first failure');
    assert.equal(s.observe({ ok: false, output: 'HTTP 500' }, new Date(2_000 + OUTPUT_REFRESH_MS)), false);
  });
});
