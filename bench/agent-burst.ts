// agent-burst: 1,000 one-off tasks submitted at once to one real `drover agent` (a child
// process, exec driver, shim per task): all must finish with their exit codes and none may be
// Lost (an agent that starts them all in one turn of its event loop misses its heartbeats).
// Beside it, the same commands spawned from Node directly, all at once: the machine's own cost.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client, type Task } from '../src/client/client.js';
import { packageRoot } from '../src/paths.js';
import { startServer } from '../src/server.js';
import type { Row } from './report.js';
import { tempDir, until } from './lib/util.js';

const command = (i: number) => ['sh', '-c', `exit ${i % 3}`];

async function spawnAll(count: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const [cmd, ...args] = command(i);
      const p = spawn(cmd!, args, { stdio: 'ignore' });
      return new Promise((r) => p.once('exit', r));
    }),
  );
  return performance.now() - t0;
}

export async function agentBurst({ quick }: { quick: boolean }): Promise<Row[]> {
  const count = quick ? 200 : 1_000;
  const dir = tempDir('agent-burst');
  const server = await startServer({ listen: '127.0.0.1:0', dataDir: join(dir.path, 'server'), logLevel: 'error' });
  const client = new Client({ server: server.url });
  const id = 'b'.repeat(32);
  const agent = spawn(process.execPath, [join(packageRoot, 'bin', 'drover.js'), 'agent', '--server', server.url, '--data', join(dir.path, 'agent'), '--id', id, '--log-level', 'error'], { stdio: 'ignore' });
  let ms = NaN;
  let lost = 0;
  let wrong = 0;
  try {
    await until(async () => (await client.machines.find(id))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true, 30_000, 'the agent to be Ready');
    const t0 = performance.now();
    // At once, as a burst of users would: in batches only so the client keeps its sockets.
    for (let b = 0; b < count; b += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, count - b) }, (_, j) => b + j).map((i) => client.tasks.create({ metadata: { name: `burst-${i}` }, spec: { machine: id, template: { command: command(i) } } })),
      );
    }
    let tasks: Task[] = [];
    await until(
      async () => {
        tasks = (await client.tasks.listAll()).items;
        return tasks.filter((t) => ['Succeeded', 'Failed', 'Lost'].includes(t.status?.phase ?? '')).length === count;
      },
      600_000,
      `${count} tasks to finish`,
      250,
    );
    ms = performance.now() - t0;
    lost = tasks.filter((t) => t.status?.phase === 'Lost').length;
    wrong = tasks.filter((t) => t.status?.phase !== 'Lost' && t.status?.exitCode !== Number(t.metadata.name.slice('burst-'.length)) % 3).length;
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    await server.close();
    dir.remove();
  }
  const baseline = await spawnAll(count);
  return [
    {
      benchmark: 'agent-burst',
      metric: `${count} one-off tasks at once to one agent → all finished (Lost: ${lost}, wrong exit codes: ${wrong})`,
      value: ms,
      unit: 'ms',
      baseline: { name: 'the same commands spawned from Node at once', value: baseline },
      ratio: baseline / ms,
      target: '0 Lost, every exit code',
      met: lost === 0 && wrong === 0,
    },
  ];
}
