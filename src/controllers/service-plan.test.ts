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

describe('planService: crash loops back off', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  const at = (secondsBefore: number) => new Date(now - secondsBefore * 1000).toISOString();
  /** A task that ran `ranSeconds` and finished `endedAgo` seconds before now. */
  const finished = (ranSeconds: number, endedAgo: number, phase: 'Failed' | 'Succeeded' = 'Failed', message = 'exited with code 1') => {
    const t = task({ phase });
    t.status = { phase, startedAt: at(endedAgo + ranSeconds), finishedAt: at(endedAgo), exitCode: phase === 'Failed' ? 1 : 0, message };
    return t;
  };

  it('replaces a crashed task after 1 s, then 2 s, 4 s… since the last crash, and says why', () => {
    const one = planService(svc({ replicas: 1 }), [finished(0.1, 0.5)], { now });
    assert.equal(one.create.length, 0, 'within 1 s of the first crash: no replacement yet');
    assert.equal(one.retryAt, now + 500);
    assert.equal(one.status.state, 'crash-looping');
    const cond = one.status.conditions!.find((c) => c.type === 'CrashLoopBackOff');
    assert.equal(cond?.status, 'True');
    assert.match(cond!.message!, /^task web-\d+ exited with code 1; the next replacement in 1s$/);

    assert.equal(planService(svc({ replicas: 1 }), [finished(0.1, 1.5)], { now }).create.length, 1, 'after 1 s it is replaced');
    const three = [finished(0.1, 10), finished(0.1, 6), finished(0.1, 3)];
    const p = planService(svc({ replicas: 1 }), three, { now });
    assert.equal(p.create.length, 0, 'the third crash in a row waits 4 s');
    assert.equal(p.retryAt, now + 1000);
    assert.match(p.status.conditions!.find((c) => c.type === 'CrashLoopBackOff')!.message!, /\(3 crashes in a row\)/);
    assert.equal(planService(svc({ replicas: 1 }), three, { now: now + 1000 }).create.length, 1);
  });

  it('a run longer than 10 s ends the loop; a finished task of another template is not counted', () => {
    assert.equal(planService(svc({ replicas: 1 }), [finished(0.1, 5), finished(30, 0.5)], { now }).create.length, 1);
    const oldTemplate = finished(0.1, 0.5);
    oldTemplate.metadata.labels![TEMPLATE_HASH_LABEL] = 'old';
    const p = planService(svc({ replicas: 1 }), [oldTemplate], { now });
    assert.equal(p.create.length, 1, 'a new template starts at once');
    assert.equal(p.status.conditions!.some((c) => c.type === 'CrashLoopBackOff'), false);
  });

  it('a task its agent keeps restarting is not ready, and the service says it is crash-looping', () => {
    const t = task();
    t.status = { phase: 'Starting', reason: 'BackOff', restarts: 3, message: 'exited with code 1; restarting in 0.8s (restart policy always)' };
    const up = task();
    up.status = { phase: 'Running', restarts: 2, startedAt: at(2) };
    const p = planService(svc({ replicas: 2 }), [t, up], { now });
    assert.equal(p.create.length, 0);
    assert.equal(p.status.readyReplicas, 0, 'running for 2 s after a restart is not ready yet');
    assert.match(p.status.conditions!.find((c) => c.type === 'CrashLoopBackOff')!.message!, /restarting in 0\.8s/);
    up.status.startedAt = at(11);
    t.status = { phase: 'Running', restarts: 3, startedAt: at(12) };
    const settled = planService(svc({ replicas: 2 }), [t, up], { now });
    assert.equal(settled.status.readyReplicas, 2);
    assert.equal(settled.status.conditions!.some((c) => c.type === 'CrashLoopBackOff'), false);
    assert.equal(settled.status.state, 'running');
  });
});

describe('planService: units run as fleet and systemd run them', () => {
  const unitTemplate = { driver: 'unit' as const, unit: [{ section: 'Service', name: 'ExecStart', value: '/bin/false' }] };
  const unitHashLabel = templateHash(unitTemplate);
  const unitSvc = (spec: Partial<Service['spec']> = {}) => svc({ replicas: 1, template: unitTemplate, ...spec });
  const unitTask = (phase: string, desired: 'running' | 'loaded' = 'running') => {
    const t = task({ phase, hash: unitHashLabel, machine: 'mA', desired });
    t.spec.template = unitTemplate;
    t.status = { phase: phase as never, finishedAt: new Date().toISOString(), unitState: { load: 'loaded', active: 'failed', sub: 'failed' } };
    return t;
  };

  it('a failed unit stays failed on its machine: no new task, no backoff loop', () => {
    const failed = unitTask('Failed');
    const p = planService(unitSvc(), [failed], { now: Date.now() });
    assert.deepEqual(p.create, []);
    assert.deepEqual(p.delete, []);
    assert.equal(p.retryAt, undefined);
    assert.equal(p.status.state, 'failed');
    assert.equal(p.status.replicas, 1);
  });

  it('a finished unit whose desired state changes starts over on the same machine', () => {
    const p = planService(unitSvc({ desiredState: 'loaded' }), [unitTask('Failed')], { now: Date.now() });
    assert.equal(p.delete.length, 1);
    assert.deepEqual(p.create, [{ machine: 'mA' }]);
  });

  it('unload (inactive) removes finished unit tasks too', () => {
    assert.equal(planService(unitSvc({ desiredState: 'inactive' }), [unitTask('Succeeded')], { now: Date.now() }).delete.length, 1);
  });
});

describe('planService: placement is checked again when labels change', () => {
  it('moves a task off a machine that no longer has the selected labels', () => {
    const onEu = task({ machine: 'm1' });
    const onUs = task({ machine: 'm2' });
    const labels: Record<string, Record<string, string>> = { m1: { region: 'eu' }, m2: { region: 'us' } };
    const p = planService(svc({ replicas: 2, constraints: { machineSelector: { region: 'eu' } } }), [onEu, onUs], { now: Date.now(), machineLabels: (m) => labels[m] });
    assert.deepEqual(p.delete, [onUs]);
    assert.equal(p.create.length, 1, 'and replaces it where it fits');
  });
});
