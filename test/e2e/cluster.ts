// A real cluster for end-to-end tests: the server in this process on port 0, agents as child
// processes of the built `drover` binary (so they can be killed with SIGKILL), and helpers to
// find the processes tasks started.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, Machine } from '../../src/client/client.js';
import { packageRoot } from '../../src/paths.js';
import { startTestServer, tempDir, until, type TestServer } from '../helpers.js';

export interface AgentProcess {
  id: string;
  dataDir: string;
  child: ChildProcess;
  /** Kills the agent process only (its tasks' shims survive, as after a crash). */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export interface Cluster {
  server: TestServer;
  client: Client;
  agents: AgentProcess[];
  /** A marker put into every task's environment by `env()`, to find its processes. */
  marker: string;
  env(extra?: Record<string, string>): Record<string, string>;
  startAgent(index: number, opts?: { id?: string; dataDir?: string; labels?: Record<string, string> }): Promise<AgentProcess>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  machineGraceSeconds?: number;
  labels?: (i: number) => Record<string, string>;
  /** More `drover agent` flags for every agent (e.g. --usage-interval). */
  agentArgs?: string[];
}

export async function startCluster(agentCount: number, opts: ClusterOptions = {}): Promise<Cluster> {
  // A few seconds of grace: short enough for failover tests, long enough that a restarted agent
  // on a loaded CI machine is back before its machine counts as lost.
  const server = await startTestServer({ machineGraceSeconds: opts.machineGraceSeconds ?? 4 });
  const marker = `drover-e2e-${randomBytes(6).toString('hex')}`;
  const root = tempDir('drover-agents-');
  const cluster: Cluster = {
    server,
    client: server.client,
    agents: [],
    marker,
    env: (extra = {}) => ({ DROVER_E2E: marker, ...extra }),
    startAgent: async (index, o = {}) => {
      const id = o.id ?? randomBytes(16).toString('hex');
      const dataDir = o.dataDir ?? join(root, String(index));
      const labels = o.labels ?? opts.labels?.(index) ?? { agent: String(index) };
      const child = spawn(
        process.execPath,
        [join(packageRoot, 'bin', 'drover.js'), 'agent', '--server', server.url, '--data', dataDir, '--id', id, '--labels', Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','), '--log-level', 'warn', ...(opts.agentArgs ?? [])],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      await until(async () => {
        if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}: ${stderr}`);
        const m = await server.client.machines.find(id);
        return m?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      }, `agent ${index} to be Ready`);
      const agent: AgentProcess = {
        id,
        dataDir,
        child,
        kill9: async () => {
          child.kill('SIGKILL');
          await exited;
        },
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      };
      cluster.agents[index] = agent;
      return agent;
    },
    close: async () => {
      // Delete everything so the agents stop their tasks, then stop the agents and the server.
      for (const s of (await server.client.services.list()).items) await server.client.services.delete(s.metadata.name).catch(() => {});
      for (const t of (await server.client.tasks.list()).items) await server.client.tasks.delete(t.metadata.name).catch(() => {});
      await until(async () => (await server.client.tasks.list()).items.length === 0, 'all tasks to be gone', 20_000).catch(() => {});
      await Promise.all(cluster.agents.filter(Boolean).map((a) => a.stop()));
      await server.close();
      // Anything left is a leak: kill it so later tests are not disturbed, and let the caller assert.
      for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
      rmSync(root, { recursive: true, force: true });
    },
  };
  for (let i = 0; i < agentCount; i++) await cluster.startAgent(i);
  return cluster;
}

/** Live (non-zombie) processes whose environment contains `marker`. */
export function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
      if (readFileSync(`/proc/${name}/environ`, 'utf8').includes(marker)) out.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

export function isReady(m: Machine | undefined): boolean {
  return !!m?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}
