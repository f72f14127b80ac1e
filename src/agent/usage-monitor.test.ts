import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import type { ResourceUsage } from '../model/index.js';
import { shimPath } from '../paths.js';
import { tempDir, until } from '../../test/helpers.js';
import { hostUsage } from './host.js';
import { ProcessTable } from './process-table.js';
import { Supervised, type MemoryExceeded } from './supervisor.js';
import { isUsageChanged, MACHINE_FLOOR, TASK_FLOOR, UsageMonitor, type MeasuredTask } from './usage-monitor.js';

const MiB = 2 ** 20;
const INTERVAL = 10_000;
const runs: Supervised[] = [];
const dirs: string[] = [];
const monitors: UsageMonitor[] = [];

after(async () => {
  for (const m of monitors) m.close();
  await Promise.all(runs.map((r) => r.stop(0, 'SIGKILL')));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function supervise(script: string): Promise<Supervised> {
  const dir = tempDir('drover-usage-');
  dirs.push(dir);
  const run = await Supervised.start(dir, { argv: ['sh', '-c', script], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, shimPath, 1 << 20);
  runs.push(run);
  assert.ok(await run.waitStarted());
  return run;
}

/** An idle `sleep` task, once it has exec'd and paged in what it needs (its figures stay put from then on). */
async function idleTask(): Promise<Supervised> {
  const run = await supervise('exec sleep 600');
  const table = new ProcessTable();
  let last = -1;
  await until(() => {
    const u = table.measure(new Map([['t', run.shim!]]), { withCpu: true }).get('t');
    const settled = u?.pids.length === 1 && readFileSync(`/proc/${u.pids[0]}/comm`, 'latin1').trim() === 'sleep' && u.rssBytes === last;
    last = u?.rssBytes ?? -1;
    return settled;
  }, 'sleep to settle');
  return run;
}

/** A task as the agent hands it to the monitor, recording what the monitor does with it. */
function measured(run: Supervised, opts: { memoryLimitBytes?: number; reportedUsage?: ResourceUsage } = {}) {
  const reports: ResourceUsage[] = [];
  const kills: MemoryExceeded[] = [];
  const task: MeasuredTask = {
    uid: run.dir,
    root: run.shim!,
    ...opts,
    report: (u) => reports.push(u),
    killForMemory: (exceeded, pids) => {
      kills.push(exceeded);
      run.killForMemory(exceeded, pids);
    },
  };
  return { task, reports, kills };
}

function monitor(tasks: MeasuredTask[], machineReports: ResourceUsage[] = [], intervalMs = INTERVAL): UsageMonitor {
  const m = new UsageMonitor({
    tasks: () => tasks,
    host: hostUsage,
    reportMachine: async (u) => void machineReports.push(u),
    intervalMs,
    memoryCheckMs: 1_000,
    onError: (err) => assert.fail(String(err)),
  });
  monitors.push(m);
  return m;
}

describe('what counts as a change worth writing', () => {
  const at = '2024-01-01T00:00:00Z';
  const cases: [string, ResourceUsage | undefined, { cpuMilli: number; memoryBytes: number }, boolean][] = [
    ['nothing written yet', undefined, { cpuMilli: 0, memoryBytes: 0 }, true],
    ['the same figures', { cpuMilli: 500, memoryBytes: 100 * MiB, sampledAt: at }, { cpuMilli: 500, memoryBytes: 100 * MiB }, false],
    ['an idle task jittering by a few millicores', { cpuMilli: 0, memoryBytes: 5 * MiB, sampledAt: at }, { cpuMilli: 10, memoryBytes: 5 * MiB }, false],
    ['a busy task moving 10%', { cpuMilli: 1000, memoryBytes: 100 * MiB, sampledAt: at }, { cpuMilli: 900, memoryBytes: 100 * MiB }, false],
    ['a busy task halving', { cpuMilli: 1000, memoryBytes: 100 * MiB, sampledAt: at }, { cpuMilli: 500, memoryBytes: 100 * MiB }, true],
    ['an idle task waking up', { cpuMilli: 0, memoryBytes: 5 * MiB, sampledAt: at }, { cpuMilli: 300, memoryBytes: 5 * MiB }, true],
    ['memory growing 5%', { cpuMilli: 0, memoryBytes: 100 * MiB, sampledAt: at }, { cpuMilli: 0, memoryBytes: 105 * MiB }, false],
    ['memory growing 20%', { cpuMilli: 0, memoryBytes: 100 * MiB, sampledAt: at }, { cpuMilli: 0, memoryBytes: 120 * MiB }, true],
    ['a tiny task growing by less than a MiB', { cpuMilli: 0, memoryBytes: 2 * MiB, sampledAt: at }, { cpuMilli: 0, memoryBytes: 2.5 * MiB }, false],
  ];
  for (const [name, last, next, want] of cases) it(`${name}: ${want ? 'write' : 'no write'}`, () => assert.equal(isUsageChanged(last, next, TASK_FLOOR), want));

  it('a machine needs larger moves than a task', () => {
    const last = { cpuMilli: 200, memoryBytes: 2048 * MiB, sampledAt: at };
    assert.equal(isUsageChanged(last, { cpuMilli: 260, memoryBytes: 2048 * MiB }, TASK_FLOOR), true);
    assert.equal(isUsageChanged(last, { cpuMilli: 260, memoryBytes: 2048 * MiB }, MACHINE_FLOOR), false);
  });
});

describe('usage monitor', () => {
  it("reports a task's usage at the end of its first window, then not again while it stays the same", async () => {
    const t = measured(await idleTask());
    const m = monitor([t.task]);
    m.pass(0);
    assert.equal(t.reports.length, 0, 'no figures before a whole window');
    m.pass(INTERVAL);
    assert.equal(t.reports.length, 1);
    assert.ok(t.reports[0]!.cpuMilli < TASK_FLOOR.cpuMilli, `an idle task uses next to no CPU, not ${t.reports[0]!.cpuMilli}m`); // its start may cost a tick
    assert.ok(t.reports[0]!.memoryBytes > 0 && t.reports[0]!.memoryBytes < 16 * MiB, `sleep holds ${t.reports[0]!.memoryBytes} bytes`);
    assert.ok(Date.parse(t.reports[0]!.sampledAt) > 0);
    m.pass(2 * INTERVAL);
    m.pass(3 * INTERVAL);
    assert.equal(t.reports.length, 1, 'unchanged figures are not written again');
  });

  it('does not rewrite what the server already has (an agent restarted under running tasks)', async () => {
    const run = await idleTask();
    const first = measured(run);
    const m1 = monitor([first.task]);
    m1.pass(0);
    m1.pass(INTERVAL);
    assert.equal(first.reports.length, 1);
    const again = measured(run, { reportedUsage: first.reports[0] });
    const m2 = monitor([again.task]);
    m2.pass(0);
    m2.pass(INTERVAL);
    assert.equal(again.reports.length, 0);
  });

  it('reports the CPU a busy task uses, in millicores over the window', async () => {
    const t = measured(await supervise('while :; do :; done'));
    // Real time here: the figure is the loop's CPU time over the window's length.
    const m = monitor([t.task], [], 200);
    const busy = await until(() => (m.pass(), t.reports.find((r) => r.cpuMilli >= 100)), 'a busy figure');
    assert.ok(busy.cpuMilli <= 1100, `one shell loop uses at most a core, not ${busy.cpuMilli}m`);
  });

  it('kills a task whose processes pass its memory limit, once, and the run ends saying so', async () => {
    const run = await supervise(`python3 -c "import time; b = b'x' * (64 << 20); time.sleep(600)"`);
    const t = measured(run, { memoryLimitBytes: 16 * MiB });
    const m = monitor([t.task]);
    let now = 0;
    await until(() => (m.pass((now += 1_000)), t.kills.length > 0), 'the kill');
    m.pass((now += 1_000));
    assert.equal(t.kills.length, 1, 'killed once');
    await until(() => !run.isRunning, 'the run to end'); // the shim is unref'd: something must keep this test's loop alive
    const exit = await run.exited;
    assert.equal(exit.signal, 'SIGKILL');
    assert.equal(exit.memoryExceeded?.limitBytes, 16 * MiB);
    assert.ok(exit.memoryExceeded!.usageBytes > 16 * MiB);
  });

  it('leaves a task within its limit alone, and checks limits more often than it reports', async () => {
    const t = measured(await supervise('exec sleep 600'), { memoryLimitBytes: 64 * MiB });
    const m = monitor([t.task]);
    assert.equal(m.pass(0), 1_000, 'a limit is checked every memoryCheckMs');
    m.pass(INTERVAL);
    assert.equal(t.reports.length, 1);
    assert.equal(t.kills.length, 0);
    const free = measured(await supervise('exec sleep 600'));
    assert.equal(monitor([free.task]).pass(0), INTERVAL, 'without limits, once a window');
  });

  it('gives a task that was running before the monitor started its figures at the first pass (its window began with its shim)', async () => {
    const t = measured(await idleTask());
    monitor([t.task], [], 2).pass();
    assert.equal(t.reports.length, 1);
  });

  it('takes no figures when it starts: an agent just restarted has not yet heard what the server has', async () => {
    const t = measured(await idleTask());
    // A start slower than the (2 ms) window, as on a loaded machine: still no figures at once.
    const m = new UsageMonitor({
      tasks: () => [t.task],
      host: () => {
        const until = performance.now() + 5;
        while (performance.now() < until);
        return hostUsage();
      },
      reportMachine: async () => {},
      intervalMs: 2,
      memoryCheckMs: 1_000,
      onError: (err) => assert.fail(String(err)),
    });
    monitors.push(m);
    m.start();
    assert.equal(t.reports.length, 0);
    m.close();
  });

  it('checks a run that just started within memoryCheckMs, not at the end of a long window', async () => {
    const tasks: MeasuredTask[] = [];
    const m = new UsageMonitor({
      tasks: () => tasks,
      host: hostUsage,
      reportMachine: async () => {},
      intervalMs: 3_600_000,
      memoryCheckMs: 50,
      onError: (err) => assert.fail(String(err)),
    });
    monitors.push(m);
    m.start(); // a first pass with no task: the next is an hour away
    const t = measured(await supervise(`python3 -c "import time; b = b'x' * (64 << 20); time.sleep(600)"`), { memoryLimitBytes: 16 * MiB });
    tasks.push(t.task);
    m.soon();
    await until(() => t.kills.length === 1, 'the new run to be checked and killed');
  });

  it("reports the machine's usage after a window", async () => {
    const reports: ResourceUsage[] = [];
    const m = monitor([], reports);
    m.pass(0);
    m.pass(INTERVAL);
    await until(() => reports.length === 1, 'the machine report');
    assert.ok(reports[0]!.memoryBytes > 0);
  });
});
