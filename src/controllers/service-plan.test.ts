import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service, Task } from '../model/index.js';
import { planService, TEMPLATE_HASH_LABEL, templateHash } from './service-plan.js';

const template = { command: ['sleep', '1'] };
const newHash = templateHash(template);

function svc(spec: Partial<Service['spec']>): Service {
  return {
    apiVersion: 'drover/v1',
    kind: 'Service',
    metadata: { name: 'web', uid: 'u1', revision: 1, generation: 2, createdAt: '', updatedAt: '' },
    spec: { template, ...spec } as Service['spec'],
    status: {},
  };
}

let n = 0;
function task(opts: { hash?: string; phase?: string; machine?: string | null; desired?: 'running' | 'loaded' } = {}): Task {
  n++;
  return {
    apiVersion: 'drover/v1',
    kind: 'Task',
    metadata: { name: `web-${String(n).padStart(3, '0')}`, uid: `t${n}`, revision: n, generation: 1, createdAt: '', updatedAt: '', labels: { [TEMPLATE_HASH_LABEL]: opts.hash ?? newHash } },
    spec: { template, machine: opts.machine === null ? undefined : (opts.machine ?? `m${n}`), desiredState: opts.desired ?? 'running' },
    status: { phase: (opts.phase ?? 'Running') as never, startedAt: new Date(0).toISOString() },
  };
}

describe('planService', () => {
  it('creates the missing replicas', () => {
    const p = planService(svc({ replicas: 3 }), [task()], { now: Date.now() });
    assert.equal(p.create.length, 2);
    assert.equal(p.delete.length, 0);
    assert.equal(p.status.desiredReplicas, 3);
    assert.equal(p.status.readyReplicas, 1);
  });

  it('scales down unplaced, then unready tasks first', () => {
    const ready = [task(), task()];
    const pending = task({ machine: null, phase: 'Pending' });
    const starting = task({ phase: 'Starting' });
    const p = planService(svc({ replicas: 2 }), [...ready, pending, starting], { now: Date.now() });
    assert.deepEqual(p.delete.map((t) => t.metadata.name).sort(), [pending.metadata.name, starting.metadata.name].sort());
  });

  it('ignores finished and lost tasks when counting', () => {
    const p = planService(svc({ replicas: 2 }), [task({ phase: 'Lost' }), task({ phase: 'Failed' }), task()], { now: Date.now() });
    assert.equal(p.create.length, 1);
  });

  it('rolls out with maxSurge 1 / maxUnavailable 0: one new task first, no old one deleted yet', () => {
    const old = [task({ hash: 'old' }), task({ hash: 'old' }), task({ hash: 'old' })];
    const p = planService(svc({ replicas: 3, update: { maxSurge: 1, maxUnavailable: 0 } }), old, { now: Date.now() });
    assert.equal(p.create.length, 1);
    assert.equal(p.delete.length, 0);
    assert.equal(p.status.state, 'updating');
  });

  it('rolls out with maxSurge 0 / maxUnavailable 1: deletes one ready old task, creates one', () => {
    const old = [task({ hash: 'old' }), task({ hash: 'old' }), task({ hash: 'old' })];
    const p = planService(svc({ replicas: 3, update: { maxSurge: 0, maxUnavailable: 1 } }), old, { now: Date.now() });
    assert.equal(p.delete.length, 1);
    assert.equal(p.create.length, 0, 'the replacement comes once the old one is gone (no surge)');
    const next = planService(svc({ replicas: 3, update: { maxSurge: 0, maxUnavailable: 1 } }), old.slice(1), { now: Date.now() });
    assert.equal(next.create.length, 1);
    assert.equal(next.delete.length, 0, 'only 2 ready: no more may go');
  });

  it('deletes an old task once a new one is ready', () => {
    const tasks = [task({ hash: 'old' }), task({ hash: 'old' }), task({ hash: 'old' }), task()];
    const p = planService(svc({ replicas: 3, update: { maxSurge: 1, maxUnavailable: 0 } }), tasks, { now: Date.now() });
    assert.equal(p.delete.length, 1);
    assert.equal(p.delete[0]!.metadata.labels![TEMPLATE_HASH_LABEL], 'old');
  });

  it('respects minReadySeconds before counting a new task ready', () => {
    const fresh = task();
    fresh.status!.startedAt = new Date().toISOString();
    const tasks = [task({ hash: 'old' }), task({ hash: 'old' }), task({ hash: 'old' }), fresh];
    const p = planService(svc({ replicas: 3, update: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 60 } }), tasks, { now: Date.now() });
    assert.equal(p.delete.length, 0);
  });

  it('does not progress a paused rollout', () => {
    const old = [task({ hash: 'old' }), task({ hash: 'old' })];
    const p = planService(svc({ replicas: 2, paused: true }), old, { now: Date.now() });
    assert.equal(p.create.length + p.delete.length, 0);
    assert.equal(p.status.state, 'paused');
  });

  it('deletes everything when inactive, and retargets tasks when loaded', () => {
    const tasks = [task(), task()];
    assert.equal(planService(svc({ replicas: 2, desiredState: 'inactive' }), tasks, { now: 0 }).delete.length, 2);
    const loaded = planService(svc({ replicas: 2, desiredState: 'loaded' }), tasks, { now: 0 });
    assert.equal(loaded.retarget.length, 2);
    assert.equal(loaded.taskDesiredState, 'loaded');
  });

  it('runs a global service on exactly the eligible machines', () => {
    const onM1 = task({ machine: 'm1' });
    const dup = task({ machine: 'm1' });
    const onGone = task({ machine: 'mx' });
    const p = planService(svc({ global: true }), [onM1, dup, onGone], { now: 0, globalMachines: ['m1', 'm2'] });
    assert.deepEqual(p.create, [{ machine: 'm2' }]);
    assert.deepEqual(p.delete.map((t) => t.metadata.name).sort(), [dup.metadata.name, onGone.metadata.name].sort());
    assert.equal(p.status.desiredReplicas, 2);
  });

  it('replaces a global service\'s old tasks machine by machine', () => {
    const tasks = [task({ machine: 'm1', hash: 'old' }), task({ machine: 'm2', hash: 'old' })];
    const p = planService(svc({ global: true, update: { maxUnavailable: 1 } }), tasks, { now: 0, globalMachines: ['m1', 'm2'] });
    assert.equal(p.delete.length, 1);
    assert.equal(p.create.length, 1);
    assert.equal(p.create[0]!.machine, p.delete[0]!.spec.machine);
  });
});
