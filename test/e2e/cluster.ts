// A real cluster for end-to-end tests: the server in this process on port 0, agents as child
// processes of the built `drover` binary (so they can be killed with SIGKILL), and helpers to
// find the processes tasks started.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, Machine, Task } from '../../src/client/client.js';
import { ApiError } from '../../src/errors.js';
import { packageRoot } from '../../src/paths.js';
import { startTestServer, tempDir, until } from '../helpers.js';
import { startServerProcess } from './server-process.js';
import { systemContext } from '../../src/registry/index.js';
import type { ServerOptions } from '../../src/server.js';

export interface AgentProcess {
  id: string;
  dataDir: string;
  child: ChildProcess;
  /** What the agent wrote so far: its log (warn and above) and its messages. */
  output(): string;
  /** Kills the agent process only (its tasks' shims survive, as after a crash). */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export interface AgentStart {
  id?: string;
  dataDir?: string;
  labels?: Record<string, string>;
  /** More `drover agent` flags. */
  args?: string[];
  /** Wait for the machine to register and be Ready (default true). */
  awaitReady?: boolean;
  /** More environment for the agent process (e.g. a test-only knob). */
  env?: Record<string, string>;
}

/** The cluster's server: in this process, or (`serverProcess`) a `drover server` child whose restart is a SIGKILL. */
export interface ClusterServer {
  url: string;
  dir: string;
  client: Client;
  adminToken?: string;
  /** Where the in-process server answers DNS (serverOptions.dnsListen). */
  dns?: { host: string; port: number };
  /** In this process: close and start again (on `dataDir`, another store, if given). As a child: SIGKILL and start again (no `dataDir`). */
  restart(opts?: { dataDir?: string }): Promise<void>;
  close(): Promise<void>;
}

export interface Cluster {
  server: ClusterServer;
  client: Client;
  /** Headers a raw request needs: the administrator's token on a secure cluster, else none. */
  auth: Record<string, string>;
  agents: AgentProcess[];
  /** A marker put into every task's environment by `env()`, to find its processes. */
  marker: string;
  env(extra?: Record<string, string>): Record<string, string>;
  startAgent(index: number, opts?: AgentStart): Promise<AgentProcess>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  machineGraceSeconds?: number;
  labels?: (i: number) => Record<string, string>;
  /** More `drover agent` flags for every agent (e.g. --usage-interval). */
  agentArgs?: string[];
  /**
   * Authenticate as `drover server` and `drover dev` do: agents join with a join token and act as
   * their node identity, under the node authorizer (plain HTTP to the server, as drover dev).
   */
  secure?: boolean;
  /** More options of the in-process server (e.g. dnsListen). */
  serverOptions?: Partial<ServerOptions>;
  /**
   * Run the server as a `drover server` child process (authenticated as `secure`), so that
   * `server.restart()` kills it with SIGKILL mid-flight instead of closing it.
   */
  serverProcess?: boolean;
}

export async function startCluster(agentCount: number, opts: ClusterOptions = {}): Promise<Cluster> {
  // A few seconds of grace: short enough for failover tests, long enough that a restarted agent
  // on a loaded CI machine is back before its machine counts as lost.
  const grace = opts.machineGraceSeconds ?? 4;
  let server: ClusterServer;
  let joinToken: string | undefined;
  if (opts.serverProcess) {
    server = await startServerProcess({ machineGraceSeconds: grace });
    joinToken = (await server.client.request<{ token: string }>('POST', '/api/v1/tokens', { body: { user: 'system:bootstrap', purpose: 'join', ttlSeconds: 3_600, description: 'e2e agents' } })).body.token;
  } else {
    const inProcess = await startTestServer({ machineGraceSeconds: grace, ...(opts.secure ? { auth: true } : {}), ...opts.serverOptions });
    server = { ...inProcess, adminToken: inProcess.server.adminToken, ...(inProcess.server.dns ? { dns: inProcess.server.dns } : {}), restart: (o) => inProcess.restart(o), close: () => inProcess.close() };
    joinToken = opts.secure
      ? (await inProcess.server.registry.credentials!.createToken(systemContext, { user: 'system:bootstrap', purpose: 'join', ttlSeconds: 3_600, description: 'e2e agents' })).token
      : undefined;
  }
  const marker = `drover-e2e-${randomBytes(6).toString('hex')}`;
  const root = tempDir('drover-agents-');
  // Tasks that run as another user (nobody) must reach their secret files under an agent's data
  // dir, as under /var/lib: the temporary directory is 0700.
  chmodSync(root, 0o711);
  const cluster: Cluster = {
    server,
    client: server.client,
    auth: server.adminToken ? { authorization: `Bearer ${server.adminToken}` } : {},
    agents: [],
    marker,
    env: (extra = {}) => ({ DROVER_E2E: marker, ...extra }),
    startAgent: async (index, o = {}) => {
      const id = o.id ?? randomBytes(16).toString('hex');
      const dataDir = o.dataDir ?? join(root, String(index));
      const labels = o.labels ?? opts.labels?.(index) ?? { agent: String(index) };
      // A restarted agent's machine is still Ready from its predecessor's heartbeats: this one
      // is up once it has registered, which publishes its own endpoint (a new port).
      const previousEndpoint = (await server.client.machines.find(id))?.status?.agentEndpoint;
      const child = spawn(
        process.execPath,
        [join(packageRoot, 'bin', 'drover.js'), 'agent', '--server', server.url, '--data', dataDir, '--id', id, '--labels', Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','), '--log-level', 'warn', ...(joinToken ? ['--join-token', joinToken] : []), ...(opts.agentArgs ?? []), ...(o.args ?? [])],
        { stdio: ['ignore', 'pipe', 'pipe'], ...(o.env ? { env: { ...process.env, ...o.env } } : {}) },
      );
      // Its log (pino, on stdout) and its messages (stderr), together.
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      if (o.awaitReady !== false) {
        try {
          // A deadline for a loaded machine (2 cores, a full suite beside): an agent's start is a Node start plus its registration.
          await until(
            async () => {
              if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}: ${stderr}`);
              const m = await server.client.machines.find(id);
              return isReady(m) && m?.status?.agentEndpoint !== undefined && m.status.agentEndpoint !== previousEndpoint;
            },
            `agent ${index} to register and be Ready`,
            30_000,
          );
        } catch (err) {
          // Not left running: a live child would hold the test file open until the runner's timeout.
          child.kill('SIGKILL');
          await exited;
          throw err;
        }
      }
      const agent: AgentProcess = {
        id,
        dataDir,
        child,
        output: () => stderr,
        kill9: async () => {
          child.kill('SIGKILL');
          await exited;
        },
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGCONT'); // a test may have paused it: a stopped process never handles SIGTERM
            child.kill('SIGTERM');
          }
          // An agent that ignores SIGTERM is a bug to see, not a test that hangs until its timeout.
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), 20_000)));
          const outcome = await Promise.race([exited, late]);
          clearTimeout(timer);
          if (outcome === 'late') {
            child.kill('SIGKILL');
            await exited;
            throw new Error(`agent ${index} did not exit within 20 s of SIGTERM; its output:\n${stderr.slice(-4000)}`);
          }
        },
      };
      cluster.agents[index] = agent;
      return agent;
    },
    close: async () => {
      // Every step runs even when an earlier one failed, so the cluster is always torn down;
      // what failed is thrown at the end instead of being swallowed.
      const problems: string[] = [];
      const step = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
        try {
          return await fn();
        } catch (err) {
          problems.push(`${what}: ${(err as Error).message}`);
          return undefined;
        }
      };
      // Delete everything (in every namespace) so the agents stop their tasks, then stop the agents and the server.
      // CronJobs and Jobs first: a job whose task is deleted would start another.
      for (const cj of (await step('listing the cronjobs', () => server.client.cronJobs.list()))?.items ?? []) await step(`deleting cronjob "${cj.metadata.name}"`, () => deleteUnlessGone(server.client.cronJobs.in(cj.metadata.namespace).delete(cj.metadata.name)));
      for (const job of (await step('listing the jobs', () => server.client.jobs.list()))?.items ?? []) await step(`deleting job "${job.metadata.name}"`, () => deleteUnlessGone(server.client.jobs.in(job.metadata.namespace).delete(job.metadata.name)));
      const services = await step('listing the services', () => server.client.services.list());
      for (const svc of services?.items ?? []) await step(`deleting service "${svc.metadata.name}"`, () => deleteUnlessGone(server.client.services.in(svc.metadata.namespace).delete(svc.metadata.name)));
      const tasks = await step('listing the tasks', () => server.client.tasks.list());
      for (const t of tasks?.items ?? []) await step(`deleting task "${t.metadata.name}"`, () => deleteUnlessGone(server.client.tasks.in(t.metadata.namespace).delete(t.metadata.name)));
      await step('waiting for the tasks to go', async () => {
        let left: Task[] = [];
        try {
          await until(async () => (left = (await server.client.tasks.list()).items).length === 0, 'all tasks to be gone', 20_000);
        } catch (err) {
          throw new Error(`${(err as Error).message}; left: ${left.map((t) => `${t.metadata.name} (${t.status?.phase ?? 'no phase'} on ${t.spec.machine ?? 'no machine'})`).join(', ')}`);
        }
      });
      await Promise.all(cluster.agents.filter(Boolean).map((agent) => step(`stopping agent ${agent.id}`, () => agent.stop())));
      await step('closing the server', () => server.close());
      // Nothing may outlive the cluster: checked before the forced kill below, so that a leak
      // fails the suite. A short wait, not a single look: the process of a task deleted without
      // the agent's finalizer may still be on its way out.
      await step('checking that no task process outlived the cluster', async () => {
        let survivors: number[] = [];
        try {
          await until(() => (survivors = processesWith(marker)).length === 0, 'the task processes to exit', 5_000);
        } catch {
          throw new Error(`still running: ${survivors.map(describeProcess).join('; ')}`);
        }
      });
      // Killed anyway, so that later tests are not disturbed.
      for (const pid of processesWith(marker)) killIfAlive(pid);
      // A shim killed just above may still be writing its exit file: retry what it refills.
      rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      if (problems.length) throw new Error(`the e2e cluster did not close cleanly:\n  ${problems.join('\n  ')}`);
    },
  };
  try {
    for (let i = 0; i < agentCount; i++) await cluster.startAgent(i);
  } catch (err) {
    // The caller gets no cluster to close: what was started is torn down here.
    await cluster.close().catch(() => undefined);
    throw err;
  }
  return cluster;
}

/** Resolves when the delete was accepted or the object was already gone: a service's tasks go with it while close() walks the list. */
async function deleteUnlessGone(deleting: Promise<unknown>): Promise<void> {
  try {
    await deleting;
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 404)) throw err;
  }
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** What a process is, for a leak report: its command line and the task and machine the agent started it for. */
function describeProcess(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const env = new Map(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    return `pid ${pid}: ${argv.join(' ')}, task ${env.get('DROVER_TASK') ?? '?'} on machine ${env.get('DROVER_MACHINE') ?? '?'}`;
  } catch {
    return `pid ${pid} (gone)`;
  }
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
