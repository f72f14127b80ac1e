// Readiness from health checks, and the progress deadline, as planService sees them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Condition, Service, Task } from '../model/index.js';
import { isReady, planService, TEMPLATE_HASH_LABEL, templateHash } from './service-plan.js';

const template = { command: ['web'], checks: [{ type: 'http' as const, port: 8000 }] };
const hash = templateHash(template);
const now = Date.parse('2026-01-01T00:10:00Z');
const iso = (msAgo: number) => new Date(now - msAgo).toISOString();

let n = 0;
function task(opts: { hash?: string; ready?: Condition['status']; readyFor?: number; message?: string; startedAgo?: number; checks?: boolean } = {}): Task {
  n++;
  const conditions: Condition[] = opts.ready ? [{ type: 'Ready', status: opts.ready, reason: opts.ready === 'True' ? 'ChecksPassing' : 'ReadinessCheckFailed', message: opts.message ?? '', lastTransitionTime: iso(opts.readyFor ?? 0) }] : [];
  return {
    apiVersion: 'drover/v1',
    kind: 'Task',
    metadata: { name: `web-${String(n).padStart(3, '0')}`, uid: `t${n}`, revision: n, generation: 1, createdAt: '', updatedAt: '', labels: { [TEMPLATE_HASH_LABEL]: opts.hash ?? hash } },
    spec: { template: opts.checks === false ? { command: ['web'] } : template, machine: `m${n}` },
    status: { phase: 'Running', startedAt: iso(opts.startedAgo ?? 600_000), conditions },
  };
}

function svc(update: Service['spec']['update'], status: Service['status'] = {}, generation = 2): Service {
  return {
    apiVersion: 'drover/v1',
    kind: 'Service',
    metadata: { name: 'web', uid: 'u1', revision: 1, generation, createdAt: '', updatedAt: '' },
    spec: { replicas: 2, template, update },
    status: { observedGeneration: 2, ...status },
  };
}

describe('readiness from health checks', () => {
  it('a running task with checks is ready only with Ready=True, for minReadySeconds since it turned True', () => {
    assert.equal(isReady(task(), now, 0), false, 'no Ready condition yet: checks pending');
    assert.equal(isReady(task({ ready: 'False' }), now, 0), false);
    assert.equal(isReady(task({ ready: 'True' }), now, 0), true);
    assert.equal(isReady(task({ ready: 'True', readyFor: 5_000 }), now, 10), false, 'running for 10 min, ready for 5 s');
    assert.equal(isReady(task({ ready: 'True', readyFor: 11_000 }), now, 10), true);
  });

  it('a task without checks counts from when it started, as before', () => {
    assert.equal(isReady(task({ checks: false, startedAgo: 11_000 }), now, 10), true);
    assert.equal(isReady(task({ checks: false, startedAgo: 5_000 }), now, 10), false);
  });

  it('readyReplicas drops when a task turns unready', () => {
    const p = planService(svc({}), [task({ ready: 'True' }), task({ ready: 'False', message: 'check x failed: HTTP 404' })], { now });
    assert.equal(p.status.readyReplicas, 1);
  });
});

describe('progress deadline', () => {
  const progressing = (msAgo: number): Condition => ({ type: 'Progressing', status: 'True', reason: 'updating', message: '', lastTransitionTime: iso(msAgo) });
  const stuckRollout = () => [task({ hash: 'old', ready: 'True' }), task({ hash: 'old', ready: 'True' }), task({ ready: 'False', message: 'check readiness-http-0 failed: HTTP 404 (expected 200-399)' })];

  it('within the deadline: Progressing=True since the rollout began, and a pass planned for when it falls', () => {
    const p = planService(svc({ maxSurge: 1, maxUnavailable: 1, progressDeadlineSeconds: 30 }, { conditions: [progressing(10_000)] }), stuckRollout(), { now });
    const c = p.status.conditions!.find((x) => x.type === 'Progressing')!;
    assert.equal(c.status, 'True');
    assert.equal(c.lastTransitionTime, iso(10_000));
    assert.equal(p.retryAt, now + 20_000);
    assert.equal(p.delete.length, 1, 'within maxUnavailable, one ready old task may go meanwhile');
  });

  it('past it: Progressing=False, ProgressDeadlineExceeded, naming the stuck task and its failing check; ready old tasks stay', () => {
    const tasks = stuckRollout();
    const p = planService(svc({ maxSurge: 1, maxUnavailable: 1, progressDeadlineSeconds: 30 }, { conditions: [progressing(31_000)] }), tasks, { now });
    const c = p.status.conditions!.find((x) => x.type === 'Progressing')!;
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'ProgressDeadlineExceeded');
    assert.equal(c.message, `the rollout did not finish within 30s (progressDeadlineSeconds): task ${tasks[2]!.metadata.name} is not ready: check readiness-http-0 failed: HTTP 404 (expected 200-399)`);
    assert.deepEqual(p.delete, [], 'no ready old task is removed past the deadline');
  });

  it('a spec change starts the clock again', () => {
    const p = planService(svc({ progressDeadlineSeconds: 30 }, { observedGeneration: 1, conditions: [{ ...progressing(60_000), status: 'False', reason: 'ProgressDeadlineExceeded' }] }, 2), stuckRollout(), { now });
    const c = p.status.conditions!.find((x) => x.type === 'Progressing')!;
    assert.equal(c.status, 'True');
    assert.equal(c.lastTransitionTime, new Date(now).toISOString());
  });
});
