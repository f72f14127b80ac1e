// The local provider: one new `drover agent` process on the server's host per Replicante node.
// The only place the server owns child processes: each agent has its own data dir under
// <root>/<node id>/ (with node.json, which says which machine id it is), its own machine id and
// the node's labels; it is started with --stop-tasks-on-exit, so stopping it (deprovision, server
// stop) ends its tasks too: a local machine lives and dies with its agent. After a server restart,
// resume() starts again the agents of nodes that still exist (their tasks come back with them).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { NotFound } from '../errors.js';
import { REPLICANTE_CLASS_LABEL, REPLICANTE_NODE_LABEL, REPLICANTE_PROVIDER_LABEL } from '../model/index.js';
import type { State } from '../state/state.js';
import { machineReady, type MachineProvider, type NodeRequest } from './provider.js';
import { nodeClassResources } from './node-class.js';

export interface LocalAgentsOptions {
  state: State;
  /** Where the agents' directories go (the server's data dir/replicante-agents). */
  root: string;
  /** The URL agents reach the server at (known once it listens). */
  serverUrl: () => string;
  /** The agent program and its leading arguments (…, "agent"). */
  agentCommand: string[];
  /** PEM of the cluster CA, when the server is https. */
  caCert?: string;
  /** A join token for a new agent, when the server authenticates. */
  joinToken?: (nodeId: string) => Promise<string>;
  /** How long a new agent has to register and become Ready (default 60 s). */
  readyTimeoutMs?: number;
  /** How long a stopping agent has before SIGKILL (default 15 s: it stops its tasks first). */
  stopGraceMs?: number;
  log: Logger;
}

/** What node.json records: enough to start the same agent again. */
interface NodeRecord {
  nodeId: string;
  clusterId: string;
  machine: string;
  nodeClass: string;
}

interface RunningAgent {
  child: ChildProcess;
  machine: string;
  exited: Promise<void>;
  exitCode?: number | null;
}

export class LocalAgents implements MachineProvider {
  readonly name = 'local' as const;
  private readonly agents = new Map<string, RunningAgent>();
  private closed = false;

  constructor(private readonly opts: LocalAgentsOptions) {
    mkdirSync(opts.root, { recursive: true });
  }

  async acquire(node: NodeRequest): Promise<string> {
    if (this.closed) throw new Error('the server is stopping');
    const running = this.agents.get(node.nodeId);
    if (running && running.exitCode === undefined) return running.machine;
    const dir = this.dirOf(node.nodeId);
    const record: NodeRecord = this.readRecord(node.nodeId) ?? { nodeId: node.nodeId, clusterId: node.clusterId, machine: randomBytes(16).toString('hex'), nodeClass: node.nodeClass };
    mkdirSync(join(dir, 'agent'), { recursive: true });
    writeFileSync(join(dir, 'node.json'), JSON.stringify(record, null, 2) + '\n');
    const joinToken = existsSync(join(dir, 'agent', 'pki')) || !this.opts.joinToken ? undefined : await this.opts.joinToken(node.nodeId);
    const agent = this.start(record, joinToken);
    await machineReady(this.opts.state, record.machine, this.opts.readyTimeoutMs ?? 60_000, () =>
      agent.exitCode !== undefined ? `the agent of node "${node.nodeId}" exited (code ${agent.exitCode}): ${this.logTail(node.nodeId)}` : undefined,
    );
    return record.machine;
  }

  async freePort(): Promise<number> {
    // Every local machine is this host: a port the OS hands out now is free on all of them.
    return new Promise((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(0, '0.0.0.0', () => {
        const addr = probe.address();
        probe.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
      });
    });
  }

  async release(nodeId: string, machine: string): Promise<void> {
    await this.stop(nodeId);
    rmSync(this.dirOf(nodeId), { recursive: true, force: true });
    await this.opts.state
      .resources('machines')
      .delete(machine)
      .catch((err: unknown) => {
        if (!(err instanceof NotFound)) throw err;
      });
  }

  /** Starts again the agents of recorded nodes that still exist; forgets the others. */
  async resume(exists: (nodeId: string) => boolean): Promise<void> {
    for (const nodeId of readdirSync(this.opts.root)) {
      const record = this.readRecord(nodeId);
      if (!record || !exists(record.nodeId)) {
        rmSync(this.dirOf(nodeId), { recursive: true, force: true });
        continue;
      }
      if (!this.agents.has(record.nodeId)) this.start(record, undefined);
    }
  }

  /** Node ids with a running agent (for tests and logs). */
  runningNodes(): string[] {
    return [...this.agents.entries()].filter(([, a]) => a.exitCode === undefined).map(([id]) => id);
  }

  /** Pids of the running agents. */
  pids(): number[] {
    return [...this.agents.values()].filter((a) => a.exitCode === undefined && a.child.pid !== undefined).map((a) => a.child.pid!);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.agents.keys()].map((id) => this.stop(id)));
  }

  private start(record: NodeRecord, joinToken: string | undefined): RunningAgent {
    const dir = this.dirOf(record.nodeId);
    const resources = nodeClassResources(record.nodeClass);
    const labels = [`${REPLICANTE_PROVIDER_LABEL}=local`, `${REPLICANTE_NODE_LABEL}=${record.nodeId}`, ...(/^[^,=]*$/.test(record.nodeClass) ? [`${REPLICANTE_CLASS_LABEL}=${record.nodeClass}`] : [])];
    const args = [
      ...this.opts.agentCommand.slice(1),
      '--server', this.opts.serverUrl(),
      '--data', join(dir, 'agent'),
      '--id', record.machine,
      '--hostname', `replicante-${record.nodeId}`,
      '--labels', labels.join(','),
      '--listen', '127.0.0.1:0',
      '--log-level', 'warn',
      '--stop-tasks-on-exit',
      ...(resources.cpu ? ['--cpu', resources.cpu] : []),
      ...(resources.memory ? ['--memory', resources.memory] : []),
    ];
    if (this.opts.caCert) {
      writeFileSync(join(dir, 'ca.crt'), this.opts.caCert);
      args.push('--ca-file', join(dir, 'ca.crt'));
    }
    const log = openSync(join(dir, 'agent.log'), 'a');
    // The join token goes in the environment, not argv (ps shows argv to every user).
    const child = spawn(this.opts.agentCommand[0]!, args, { stdio: ['ignore', log, log], env: { ...process.env, ...(joinToken ? { DROVER_JOIN_TOKEN: joinToken } : {}) } });
    closeSync(log);
    const agent: RunningAgent = { child, machine: record.machine, exited: new Promise((resolve) => child.once('exit', () => resolve())) };
    child.once('exit', (code, signal) => {
      agent.exitCode = code ?? (signal ? -1 : null);
      if (!this.closed && this.agents.get(record.nodeId) === agent) this.opts.log.warn({ node: record.nodeId, code, signal }, 'local agent exited');
    });
    child.once('error', (err) => this.opts.log.error({ err, node: record.nodeId }, 'local agent failed to start'));
    this.agents.set(record.nodeId, agent);
    return agent;
  }

  private async stop(nodeId: string): Promise<void> {
    const agent = this.agents.get(nodeId);
    if (!agent) return;
    if (agent.exitCode === undefined) {
      agent.child.kill('SIGTERM');
      const timer = setTimeout(() => agent.child.kill('SIGKILL'), this.opts.stopGraceMs ?? 15_000);
      await agent.exited;
      clearTimeout(timer);
    }
    // The machine ends with its agent: a task the agent did not stop (killed, or a task it was
    // starting as it stopped — seen after a restart) must not outlive it.
    killSupervisedUnder(join(this.dirOf(nodeId), 'agent'));
    this.agents.delete(nodeId);
  }

  private dirOf(nodeId: string): string {
    return join(this.opts.root, nodeId.replace(/[^A-Za-z0-9_.-]/g, '_'));
  }

  private readRecord(nodeId: string): NodeRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dirOf(nodeId), 'node.json'), 'utf8')) as NodeRecord;
    } catch {
      return undefined;
    }
  }

  private logTail(nodeId: string): string {
    try {
      return readFileSync(join(this.dirOf(nodeId), 'agent.log'), 'utf8').slice(-800);
    } catch {
      return 'no log';
    }
  }
}

/**
 * SIGKILLs every process of the tasks under `dir`: the task supervisors (drover-shim) whose task
 * directory is there, the processes working there, and everything in their sessions (each shim
 * leads one; a task is in its own process group within it).
 */
function killSupervisedUnder(dir: string): void {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return; // no /proc: nothing to sweep
  }
  const under = (path: string) => path.replace(/ \(deleted\)$/, '').startsWith(`${dir}/`);
  const procs = pids.map((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const session = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // a zombie has none
      }
      return { pid: Number(pid), session, ours: under(cwd) || (argv[0]?.endsWith('drover-shim') === true && argv.some(under)) };
    } catch {
      return undefined; // gone meanwhile
    }
  });
  const sessions = new Set(procs.filter((p) => p?.ours).map((p) => p!.session));
  for (const p of procs) {
    if (!p || !(p.ours || sessions.has(p.session)) || p.pid === process.pid) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
