import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { shimPath } from '../paths.js';
import { tempDir, until } from '../../test/helpers.js';
import { ProcessTable, parseStat, type TreeUsage } from './process-table.js';
import { readStat, type ProcessId } from './proc.js';
import { Supervised } from './supervisor.js';

const MiB = 2 ** 20;
const runs: Supervised[] = [];
const dirs: string[] = [];

/** A real shim running `script` under sh, as the exec driver starts tasks. */
async function supervise(script: string): Promise<{ run: Supervised; root: ProcessId; main: number }> {
  const dir = tempDir('drover-proctable-');
  dirs.push(dir);
  const run = await Supervised.start(dir, { argv: ['sh', '-c', script], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, shimPath, 1 << 20);
  runs.push(run);
  const main = await run.waitStarted();
  assert.ok(run.shim && main, 'the shim started the task');
  return { run, root: run.shim, main: main.pid };
}

function measureOne(table: ProcessTable, root: ProcessId): TreeUsage | undefined {
  return table.measure(new Map([['t', root]]), { withCpu: true }).get('t');
}

/** A process's command name and parent, from /proc (undefined once it is gone). */
function proc(pid: number): { comm: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const close = text.lastIndexOf(')');
    return { comm: text.slice(text.indexOf('(') + 1, close), ppid: Number(text.slice(close + 2).split(' ')[1]) };
  } catch {
    return undefined;
  }
}
const comm = (pid: number) => proc(pid)?.comm;

after(async () => {
  await Promise.all(runs.map((r) => r.stop(0, 'SIGKILL')));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('process table', () => {
  it("sums the resident memory of every process under a task's shim, and leaves the shim out", async () => {
    const { root, main } = await supervise(`sleep 600 & python3 -c "import time; b = b'x' * (48 << 20); print('ready', flush=True); time.sleep(600)" & wait`);
    const table = new ProcessTable();
    const u = await until(() => {
      const u = measureOne(table, root);
      return u && u.rssBytes >= 48 * MiB && u.pids.length === 3 && u;
    }, 'the tree to hold 48 MiB in three processes');
    assert.ok(u.pids.includes(main), 'the task itself is measured');
    assert.ok(!u.pids.includes(root.pid), 'the shim is not');
    assert.deepEqual(u.pids.map(comm).sort(), ['python3', 'sh', 'sleep']);
    assert.ok(u.ageMs >= 0 && u.ageMs < 10 * 60_000, `the shim started ${u.ageMs} ms ago`);
    const memoryOnly = table.measure(new Map([['t', root]]), { withCpu: false }).get('t')!;
    assert.deepEqual(memoryOnly.pids.sort(), u.pids.sort(), 'a memory check finds the same processes without reading the shim');
  });

  it('counts the CPU a busy task burns, and only goes up as its processes come and go', async () => {
    // A subshell burns CPU and exits: its time moves into its parent's reaped-children time.
    const { root } = await supervise('(i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done); exec sleep 600');
    const table = new ProcessTable();
    let most = 0;
    const settled = await until(() => {
      const u = measureOne(table, root);
      if (!u) return false;
      assert.ok(u.cpuTicks >= most, `cpu time went down from ${most} to ${u.cpuTicks}`);
      most = u.cpuTicks;
      return u.pids.length === 1 && comm(u.pids[0]!) === 'sleep' && u;
    }, 'the busy subshell to finish', 60_000);
    assert.ok(settled.cpuTicks > 0, 'the finished subshell’s CPU time is still counted');
  });

  it('follows a daemon that left the task’s process group (reparented to the shim)', async () => {
    const { root, run } = await supervise('setsid sleep 600 & echo started; exit 0');
    const table = new ProcessTable();
    const u = await until(() => {
      const u = measureOne(table, root);
      return u && u.pids.length === 1 && comm(u.pids[0]!) === 'sleep' && u;
    }, 'only the daemon to remain');
    assert.equal(proc(u.pids[0]!)?.ppid, root.pid, 'its parent is the shim');
    assert.ok(run.isRunning, 'the run lasts while its daemon does');
  });

  it("measures a task whose processes were seen before its shim was named a root", async () => {
    const { root } = await supervise('exec sleep 600');
    const table = new ProcessTable();
    assert.equal(table.measure(new Map(), { withCpu: true }).size, 0); // every process is nobody's, for now
    const u = measureOne(table, root);
    assert.equal(u?.pids.length, 1);
  });

  it('has no entry for a root that is gone, or a pid that is now another process', async () => {
    const table = new ProcessTable();
    const self = readStat(process.pid)!;
    assert.equal(measureOne(table, { pid: process.pid, startTime: self.startTime + 1 }), undefined);
    assert.equal(measureOne(table, { pid: 2 ** 22 + 1, startTime: 0 }), undefined);
  });
});

describe('parsing /proc/PID/stat', () => {
  it('reads past a command name with spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    const st = parseStat(`42 (a) b (c)) ${fields.join(' ')}`)!;
    assert.equal(st.ppid, 4);
    assert.equal(st.startTime, 22);
    assert.equal(st.cpuTicks, 14 + 15 + 16 + 17);
    assert.equal(st.reapedTicks, 16 + 17);
    assert.equal(st.rssPages, 24);
  });

  it('counts no resident memory for a zombie', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'Z';
    assert.equal(parseStat(`42 (x) ${fields.join(' ')}`)!.rssPages, 0);
  });
});
