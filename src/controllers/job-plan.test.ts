import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Job, Task, TaskPhase } from '../model/index.js';
import { planJob } from './job-plan.js';

const NOW = Date.parse('2026-01-01T00:00:10Z');

function job(spec: Partial<Job['spec']> = {}, status: Job['status'] = {}): Job {
  return {
    apiVersion: 'drover/v1',
    kind: 'Job',
    metadata: { name: 'j', namespace: 'default', uid: 'j1', revision: 1, generation: 1, createdAt: '', updatedAt: '' },
    spec: { template: { command: ['true'] }, ...spec },
    status,
  };
}

let n = 0;
function task(phase: TaskPhase | undefined, restarts = 0): Task {
  n++;
  return {
    apiVersion: 'drover/v1',
    kind: 'Task',
    metadata: { name: `j-${n}`, namespace: 'default', uid: `t${n}`, revision: 1, generation: 1, createdAt: '', updatedAt: '' },
    spec: { template: { command: ['true'] } },
    status: { ...(phase ? { phase } : {}), restarts },
  };
}

describe('planJob', () => {
  it('starts parallelism tasks, never more than the completions still missing', () => {
    assert.equal(planJob(job({ completions: 5, parallelism: 2 }), [], NOW).create, 2);
    assert.equal(planJob(job({ completions: 5, parallelism: 2 }), [task('Running')], NOW).create, 1);
    assert.equal(planJob(job({ completions: 3, parallelism: 3 }), [task('Succeeded'), task('Succeeded')], NOW).create, 1);
  });

  it('completes once completions succeeded, counting failures on the way', () => {
    const p = planJob(job({ completions: 2 }), [task('Succeeded'), task('Failed'), task('Succeeded')], NOW);
    assert.equal(p.create, 0);
    assert.equal(p.status.conditions?.[0]?.type, 'Complete');
    assert.deepEqual([p.status.succeeded, p.status.failed], [2, 1]);
    assert.ok(p.status.completionTime);
  });

  it('fails once more runs failed than the backoff limit (restarts in place count), killing what runs', () => {
    const running = task('Running', 2);
    const p = planJob(job({ backoffLimit: 2, template: { command: ['false'], restartPolicy: 'on-failure' } }), [task('Failed'), running], NOW);
    assert.equal(p.status.conditions?.[0]?.reason, 'BackoffLimitExceeded');
    assert.deepEqual(p.kill, [running]);
    assert.equal(p.create, 0);
    assert.equal(planJob(job({ backoffLimit: 2 }), [task('Failed'), task('Lost')], NOW).create, 1, 'two failures are within a limit of 2');
  });

  it('fails at the active deadline, killing what runs, and plans to look again at the deadline before', () => {
    const running = task('Running');
    const before = planJob(job({ activeDeadlineSeconds: 5 }, { startTime: '2026-01-01T00:00:06Z' }), [running], NOW);
    assert.equal(before.retryAt, Date.parse('2026-01-01T00:00:11Z'));
    assert.equal(before.kill.length, 0);
    const after = planJob(job({ activeDeadlineSeconds: 5 }, { startTime: '2026-01-01T00:00:04Z' }), [running], NOW);
    assert.equal(after.status.conditions?.[0]?.reason, 'DeadlineExceeded');
    assert.deepEqual(after.kill, [running]);
  });

  it('a finished job starts nothing again, even when its tasks are gone', () => {
    const done = job({}, { conditions: [{ type: 'Complete', status: 'True' }] });
    assert.equal(planJob(done, [], NOW).create, 0);
  });
});
