import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { Task } from '../../client/client.js';
import { interpretService, type UnitDependencies } from '../../units/index.js';
import type { UnitState } from './driver.js';
import { commandArgv, exitEnvironment, oneshotScript, restartDecision, shellQuote, unitNameOf } from './unit-commands.js';
import { UnitCoordinator, type CoordinatedRun } from './unit-coordinator.js';

const task = (name: string, owner?: string) =>
  ({ metadata: { name, uid: 'u', ownerReferences: owner ? [{ kind: 'Service', name: owner, uid: 'o', controller: true }] : undefined }, spec: { template: {} } }) as unknown as Task;

describe('unitNameOf', () => {
  const cases: Array<[string, Task, string | undefined]> = [
    ['the owning service of a fleet unit', task('web@1.service-abc', 'web@1.service'), 'web@1.service'],
    ['a native service, with .service added', task('web-x1', 'web'), 'web.service'],
    ['the task itself without an owner', task('task-7f3a'), 'task-7f3a.service'],
    ['nothing for a name systemd refuses', task('a b'), undefined],
  ];
  for (const [title, t, want] of cases) it(`is ${title}`, () => assert.equal(unitNameOf(t), want));
});

describe('commandArgv', () => {
  const unit = interpretService([
    { section: 'Service', name: 'ExecStart', value: 'echo $A "${B}x" $$C' },
    { section: 'Service', name: 'Type', value: 'oneshot' },
    { section: 'Service', name: 'ExecStart', value: '@/bin/sh fancy -c true' },
    { section: 'Service', name: 'ExecStart', value: ':/bin/echo $A' },
  ]);
  const env = { A: 'one two', B: 'b' };

  it('looks a bare name up in the search path and expands $VAR and ${VAR}', () => {
    assert.deepEqual(commandArgv(unit.execStart[0]!, env, (n) => `/usr/bin/${n}`), ['/usr/bin/echo', 'one', 'two', 'bx', '$C']);
  });
  it('execs the path even when "@" names another argv[0]', () => {
    assert.deepEqual(commandArgv(unit.execStart[1]!, env), ['/bin/sh', '-c', 'true']);
  });
  it('leaves ":" commands unexpanded', () => {
    assert.deepEqual(commandArgv(unit.execStart[2]!, env), ['/bin/echo', '$A']);
  });
});

describe('oneshotScript', () => {
  const run = (script: string) => spawnSync('/bin/sh', ['-c', script, 'sh'], { encoding: 'utf8' });

  it('runs the commands in order and stops at the first failure', () => {
    const r = run(oneshotScript([
      { argv: ['/bin/echo', "it's", 'a b'], ignoreFailure: false },
      { argv: ['/bin/sh', '-c', 'exit 3'], ignoreFailure: false },
      { argv: ['/bin/echo', 'never'], ignoreFailure: false },
    ]));
    assert.equal(r.stdout, "it's a b\n");
    assert.equal(r.status, 3);
  });
  it('goes on past a failing "-" command and succeeds', () => {
    const r = run(oneshotScript([
      { argv: ['/bin/sh', '-c', 'exit 4'], ignoreFailure: true },
      { argv: ['/bin/echo', 'after'], ignoreFailure: false },
    ]));
    assert.equal(r.stdout, 'after\n');
    assert.equal(r.status, 0);
  });
  it('quotes only what needs it', () => {
    assert.equal(shellQuote('/usr/bin/env'), '/usr/bin/env');
    assert.equal(shellQuote('$HOME'), "'$HOME'");
    assert.equal(shellQuote(''), "''");
  });
});

describe('restartDecision (Restart= for one exit)', () => {
  const exit0 = { code: 0, signal: null };
  const exit1 = { code: 1, signal: null };
  const term = { code: null, signal: 'SIGTERM' };
  const kill = { code: null, signal: 'SIGKILL' };
  const cases: Array<[Parameters<typeof restartDecision>[0]['restart'], typeof exit0 | typeof term, 'always' | 'never']> = [
    ['no', exit1, 'never'],
    ['always', exit0, 'always'],
    ['always', term, 'always'],
    ['on-success', exit0, 'always'],
    ['on-success', term, 'always'],
    ['on-success', exit1, 'never'],
    ['on-failure', exit1, 'always'],
    ['on-failure', kill, 'always'],
    ['on-failure', term, 'never'],
    ['on-failure', exit0, 'never'],
    ['on-abnormal', exit1, 'never'],
    ['on-abnormal', kill, 'always'],
    ['on-abort', kill, 'always'],
    ['on-watchdog', kill, 'never'],
  ];
  for (const [mode, status, want] of cases) {
    it(`Restart=${mode} after ${status.signal ?? `code ${status.code}`}: ${want}`, () => {
      const unit = { restart: mode, restartSecMs: 1500, startLimitIntervalMs: 10_000, startLimitBurst: 5 };
      assert.deepEqual(restartDecision(unit, status), { policy: want, delayMs: 1500, fixedDelay: true, startLimit: { intervalMs: 10_000, burst: 5 } });
    });
  }
  it('StartLimitIntervalSec=0 or StartLimitBurst=0: no start limit', () => {
    const unit = { restart: 'always' as const, restartSecMs: 100, startLimitIntervalMs: 0, startLimitBurst: 5 };
    assert.equal(restartDecision(unit, exit1).startLimit, undefined);
    assert.equal(restartDecision({ ...unit, startLimitIntervalMs: 10_000, startLimitBurst: 0 }, exit1).startLimit, undefined);
  });
});

describe('exitEnvironment', () => {
  it('describes an exit and a signal as systemd does', () => {
    assert.deepEqual(exitEnvironment({ code: 2, signal: null }), { SERVICE_RESULT: 'exit-code', EXIT_CODE: 'exited', EXIT_STATUS: '2' });
    assert.deepEqual(exitEnvironment({ code: null, signal: 'SIGKILL' }), { SERVICE_RESULT: 'signal', EXIT_CODE: 'killed', EXIT_STATUS: 'KILL' });
    assert.deepEqual(exitEnvironment(undefined), { SERVICE_RESULT: 'success' });
  });
});

describe('UnitCoordinator', () => {
  const none: UnitDependencies = { after: [], before: [], requires: [], requisite: [], wants: [], bindsTo: [], partOf: [], conflicts: [] };
  class FakeRun implements CoordinatedRun {
    state: UnitState = { load: 'loaded', active: 'activating', sub: 'start' };
    isParked = false;
    parks = 0;
    unparks = 0;
    constructor(
      readonly unitName: string,
      readonly dependencies: UnitDependencies = none,
    ) {}
    park() {
      this.isParked = true;
      this.parks++;
    }
    unpark() {
      this.isParked = false;
      this.unparks++;
    }
  }

  it('blocks a unit on what it is ordered after, and on those ordered before it, while they start', () => {
    const co = new UnitCoordinator();
    const db = new FakeRun('db.service');
    const web = new FakeRun('web.service', { ...none, after: ['db.service', 'elsewhere.service'] });
    const early = new FakeRun('early.service', { ...none, before: ['web.service'] });
    for (const r of [db, web, early]) co.register(r);
    assert.deepEqual(co.blockers(web).sort(), ['db.service', 'early.service']);
    db.state = { load: 'loaded', active: 'active', sub: 'running' };
    early.state = { load: 'loaded', active: 'failed', sub: 'failed' };
    assert.deepEqual(co.blockers(web), []);
  });

  it('waits no longer than its bound', async () => {
    const co = new UnitCoordinator({ orderTimeoutMs: 100, settleMs: 0 });
    const a = new FakeRun('a.service', { ...none, after: ['b.service'] });
    const b = new FakeRun('b.service', { ...none, after: ['a.service'] });
    co.register(a);
    co.register(b);
    const t0 = Date.now();
    await co.waitForOrder(a);
    assert.ok(Date.now() - t0 < 1_000);
  });

  it('parks a bound unit when its unit leaves the active state, and resumes it when back', () => {
    const co = new UnitCoordinator();
    const main = new FakeRun('foo.service');
    const sidekick = new FakeRun('foo-discovery.service', { ...none, bindsTo: ['foo.service'] });
    const bystander = new FakeRun('bar.service');
    for (const r of [main, sidekick, bystander]) co.register(r);
    main.state = sidekick.state = bystander.state = { load: 'loaded', active: 'active', sub: 'running' };
    co.changed(main);
    assert.equal(sidekick.parks, 0);
    main.state = { load: 'loaded', active: 'deactivating', sub: 'stop' };
    co.changed(main);
    assert.equal(sidekick.parks, 1);
    assert.equal(bystander.parks, 0);
    main.state = { load: 'loaded', active: 'active', sub: 'running' };
    co.changed(main);
    assert.equal(sidekick.unparks, 1);
  });
});
