// converge: service PUT → its task reported Running by a real local agent (exec driver, shim),
// p50/p99 over 200 services one after another, vs. spawning the same process from Node.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startAgent } from '../src/agent/run.js';
import { Client, type Task } from '../src/client/client.js';
import { SERVICE_LABEL } from '../src/controllers/service-plan.js';
import { startServer } from '../src/server.js';
import type { Row } from './report.js';
import { percentile, sortNumbers, tempDir, withDeadline } from './lib/util.js';

const COMMAND = ['/bin/sleep', '3600'];

async function spawnMs(): Promise<number> {
  const t0 = performance.now();
  const p = spawn(COMMAND[0]!, COMMAND.slice(1), { stdio: 'ignore', detached: true });
  await new Promise((r) => p.once('spawn', r));
  const ms = performance.now() - t0;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
  return ms;
}

export async function converge({ quick }: { quick: boolean }): Promise<Row[]> {
  const count = quick ? 30 : 200;
  const dir = tempDir('converge');
  const server = await startServer({ listen: '127.0.0.1:0', dataDir: join(dir.path, 'server'), logLevel: 'error' });
  const agent = await startAgent({ server: server.url, dataDir: join(dir.path, 'agent'), systemMachineIdFile: '/nonexistent', logLevel: 'error' });
  const client = new Client({ server: server.url });
  const abort = new AbortController();
  const running = new Map<string, () => void>();
  const seen = new Set<string>();
  const rev = (await client.tasks.list({ limit: 1 })).metadata.revision;
  const watching = (async () => {
    try {
      for await (const ev of client.tasks.watch({ revision: rev, signal: abort.signal })) {
        const t = ev.object as Task;
        const svc = t.metadata?.labels?.[SERVICE_LABEL];
        if (svc && t.status?.phase === 'Running' && !seen.has(svc)) {
          seen.add(svc);
          running.get(svc)?.();
        }
      }
    } catch {
      // aborted
    }
  })();
  const drover: number[] = [];
  const direct: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = `converge-${i}`;
      const isRunning = new Promise<void>((r) => running.set(name, r));
      const t0 = performance.now();
      await client.services.replace({ metadata: { name }, spec: { replicas: 1, template: { command: COMMAND } } });
      await withDeadline(isRunning, 10_000, `service ${name} to be Running`);
      drover.push(performance.now() - t0);
      direct.push(await spawnMs());
    }
  } finally {
    abort.abort();
    await watching;
    await agent.close(true);
    await server.close();
    dir.remove();
  }
  sortNumbers(drover);
  sortNumbers(direct);
  const rows: Row[] = [];
  for (const [p, target] of [[50, 50], [99, 250]] as const) {
    const v = percentile(drover, p);
    const b = percentile(direct, p);
    rows.push({ benchmark: 'converge', metric: `service PUT → Running p${p} (${count} services)`, value: v, unit: 'ms', baseline: { name: 'spawn from Node', value: b }, ratio: b / v, target: `≤ ${target} ms`, met: v <= target });
  }
  return rows;
}
