// agent-idle: what a real agent (its own process) costs while 200 tasks run and nothing changes:
// its CPU over a quiet window, its RSS, and each task's supervisor (drover-shim) RSS. Baselines
// from the same run: a bare node process idling on a 1 s timer (what any Node daemon costs) and
// the tasks' own `sleep` processes (what any process costs).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '../src/client/client.js';
import type { Row } from './report.js';
import { benchDir, cpuSeconds, startServerChild, tempDir, until } from './lib/util.js';

const bin = join(benchDir, '..', '..', 'bin', 'drover.js');

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Processes whose command line starts with `prefix` (a program path). */
function processesRunning(prefix: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').startsWith(prefix)) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

/** Percent of one core a process used over `seconds`. */
async function cpuPercent(pid: number, seconds: number): Promise<number> {
  const t0 = cpuSeconds(pid);
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return ((cpuSeconds(pid) - t0) / ((performance.now() - w0) / 1000)) * 100;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
const MiB = 1024 * 1024;

export async function agentIdle({ quick }: { quick: boolean }): Promise<Row[]> {
  const tasks = quick ? 20 : 200;
  const window = quick ? 1 : 10;
  // Quick: usage measured every 2 s, so the first report (which the settle waits for) comes sooner.
  const usageInterval = quick ? 2 : 10;
  const server = await startServerChild({ controllers: true });
  const dir = tempDir('agent-idle');
  // BENCH_AGENT_PROF=dir: CPU-profile the agent process (node --cpu-prof) into dir.
  const prof = process.env.BENCH_AGENT_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_AGENT_PROF] : [];
  const agent = spawn(process.execPath, [...prof, bin, 'agent', '--server', server.url, '--data', dir.path, '--id', randomBytes(16).toString('hex'), '--log-level', 'error', '--usage-interval', String(usageInterval)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const client = new Client({ server: server.url });
  const agentExited = new Promise((r) => agent.once('exit', r));
  try {
    // A sleep only this benchmark runs, so its processes can be told from any other.
    const sleeper = '/bin/sleep';
    const seconds = String(86_400 + process.pid);
    await client.services.replace({ metadata: { name: 'idle' }, spec: { replicas: tasks, template: { command: [sleeper, seconds], resources: { cpu: '1m', memory: '16Mi' } } } });
    await until(
      async () => (await client.tasks.list()).items.filter((t) => t.status?.phase === 'Running').length === tasks,
      120_000,
      `${tasks} Running tasks`,
      500,
    );
    // Settled: the burst of starts is behind us, and so is the first usage window's report of
    // every task (figures are written only when they change, so later windows write ~nothing).
    await until(async () => (await client.tasks.list()).items.every((t) => t.status?.usage), 60_000, 'every task\'s first usage report', 500);
    await new Promise((r) => setTimeout(r, quick ? 500 : 2_000));
    const [agentCpu, bareCpu] = await Promise.all([cpuPercent(agent.pid!, window), cpuPercent(bare.pid!, window)]);
    const shims = processesRunning(join(benchDir, '..', 'drover-shim'));
    const sleeps = processesRunning(sleeper).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(seconds));
    if (shims.length < tasks) throw new Error(`expected ${tasks} drover-shim processes, found ${shims.length} (and ${sleeps.length} sleeps; tasks: ${JSON.stringify((await client.tasks.list()).items.map((t) => [t.status?.phase, t.status?.restarts, t.status?.pid]))})`);
    const shimRss = mean(shims.map(rssBytes)) / MiB;
    const sleepRss = mean(sleeps.map(rssBytes)) / MiB;
    const agentRss = rssBytes(agent.pid!) / MiB;
    const bareRss = rssBytes(bare.pid!) / MiB;
    return [
      { benchmark: 'agent-idle', metric: `agent CPU with ${tasks} idle tasks (${window} s${quick ? `, usage every ${usageInterval} s` : ''})`, value: agentCpu, unit: '% of a core', baseline: { name: 'bare node on a 1 s timer', value: bareCpu }, target: '≤ 1 %', met: agentCpu <= 1 },
      { benchmark: 'agent-idle', metric: `agent RSS with ${tasks} idle tasks`, value: agentRss, unit: 'MiB', baseline: { name: 'bare node on a 1 s timer', value: bareRss }, ratio: bareRss / agentRss, target: '≤ 150 MiB', met: agentRss <= 150 },
      { benchmark: 'agent-idle', metric: `supervisor (drover-shim) RSS per task, mean of ${shims.length}`, value: shimRss, unit: 'MiB', baseline: { name: 'the task itself (sleep)', value: sleepRss }, ratio: sleepRss / shimRss, target: '≤ 1 MiB', met: shimRss <= 1 },
    ];
  } finally {
    bare.kill('SIGKILL');
    await client.services.delete('idle').catch(() => undefined);
    await until(async () => (await client.tasks.list()).items.length === 0, 60_000, 'the idle tasks to be gone', 500).catch(() => undefined);
    agent.kill('SIGTERM');
    await agentExited;
    await server.close();
    dir.remove();
  }
}
