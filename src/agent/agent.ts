// The node agent: registers its Machine, heartbeats, watches the tasks bound to it (list +
// watch, never polling) and converges on them through its drivers. It talks to the server only
// through the public API, like the kubelet.
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { Client, type Machine, type Pool, type Task } from '../client/client.js';
import { ApiError } from '../errors.js';
import { version } from '../version.js';
import type { Driver } from './drivers/driver.js';
import { hostFacts, hostUsage } from './host.js';
import { resolveMachineId } from './machine-id.js';
import { StatusReporter } from './status-reporter.js';
import { TaskRunner, type RunnerContext } from './task-runner.js';
import { UsageMonitor } from './usage-monitor.js';

export interface AgentOptions {
  server: string | string[];
  dataDir: string;
  id?: string;
  hostname?: string;
  labels?: Record<string, string>;
  cpu?: string;
  memory?: number;
  /** URL where the server reaches this agent's API (logs, exec, kill). */
  endpoint?: string;
  heartbeatMs?: number;
  drivers: { exec: Driver; unit?: Driver };
  logger: Logger;
  /** Use this machine id file instead of /etc/machine-id (tests, `drover dev`). */
  systemMachineIdFile?: string;
  /** Connection pool for the agent's requests (see ClientOptions.dispatcher); hollow machines share one. */
  dispatcher?: Pool;
  /** Connection pool for heartbeats alone (default: the one above), so queued reports never delay them. */
  heartbeatDispatcher?: Pool;
  /** How often task and machine usage may be written (default 10 s); 0 (hollow machines) measures nothing and enforces no memory limit. */
  usageIntervalMs?: number;
  /** How often memory limits are checked while a task has one (default 5 s). */
  memoryCheckMs?: number;
}

export class Agent {
  readonly id: string;
  readonly client: Client;
  /**
   * Heartbeats go through their own client, like the kubelet's separate lease client: behind a
   * burst of status reports on a shared, bounded pool they waited past the grace period, and
   * machines that were fine were declared lost.
   */
  private readonly heartbeatClient: Client;
  private readonly runners = new Map<string, TaskRunner>();
  private readonly reporter: StatusReporter;
  private readonly usage?: UsageMonitor;
  private readonly abort = new AbortController();
  private heartbeat?: NodeJS.Timeout;
  private graceSeconds = 15;
  private syncing?: Promise<void>;
  private readonly tasksDir: string;
  private closed = false;
  /** Resolves after the first full list of this machine's tasks has been applied. */
  readonly synced: Promise<void>;
  private markSynced!: () => void;

  constructor(private readonly opts: AgentOptions) {
    const dataDir = resolve(opts.dataDir);
    this.id = resolveMachineId(dataDir, opts.id, opts.systemMachineIdFile);
    this.tasksDir = join(dataDir, 'tasks');
    mkdirSync(this.tasksDir, { recursive: true });
    this.client = new Client({ server: opts.server, dispatcher: opts.dispatcher });
    this.heartbeatClient = new Client({ server: opts.server, dispatcher: opts.heartbeatDispatcher ?? opts.dispatcher });
    this.reporter = new StatusReporter(this.client, (err, task) => opts.logger.warn({ err: String(err), task }, 'status report failed'));
    this.synced = new Promise((r) => (this.markSynced = r));
    const usageIntervalMs = opts.usageIntervalMs ?? 10_000;
    if (usageIntervalMs > 0) {
      this.usage = new UsageMonitor({
        tasks: () => this.measuredTasks(),
        host: hostUsage,
        reportMachine: async (usage) => void (await this.client.machines.patchStatus(this.id, { usage })),
        intervalMs: usageIntervalMs,
        // A check reads every task process's stat (~5 ms for 200 idle tasks here): every 5 s that
        // is 0.1% of a core; every 2 s it was 0.3%, a third of the agent's whole budget.
        memoryCheckMs: opts.memoryCheckMs ?? 5_000,
        onError: (err, what) => opts.logger.warn({ err: String(err) }, `${what} failed`),
      });
    }
  }

  get log(): Logger {
    return this.opts.logger;
  }

  runner(name: string): TaskRunner | undefined {
    for (const r of this.runners.values()) if (r.name === name) return r;
    return undefined;
  }

  runnerByUid(uid: string): TaskRunner | undefined {
    return this.runners.get(uid);
  }

  async start(): Promise<void> {
    this.adoptRuns();
    await this.register();
    await this.beat();
    this.scheduleBeat();
    this.syncing = this.syncTasks();
    this.usage?.start();
  }

  /** Stops the agent. Tasks keep running under their shims unless `stopTasks` (drover dev). */
  async close(stopTasks = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.heartbeat);
    this.usage?.close();
    this.abort.abort();
    await this.syncing;
    await Promise.all([...this.runners.values()].map((r) => r.close(stopTasks)));
    if (stopTasks) await Promise.race([this.reporter.drained(), new Promise((r) => setTimeout(r, 2_000))]);
    this.reporter.close();
  }

  /** Registers (or re-registers) the Machine by merge-patch, so labels set through the API survive. */
  private async register(): Promise<void> {
    const facts = hostFacts(this.opts.dataDir, { hostname: this.opts.hostname, cpu: this.opts.cpu, memory: this.opts.memory });
    const capacity = facts.capacity;
    for (let attempt = 0; ; attempt++) {
      try {
        const existing = await this.client.machines.find(this.id);
        if (!existing) {
          await this.client.machines.create({ metadata: { name: this.id, labels: this.opts.labels ?? {} } });
        } else if (this.opts.labels && Object.keys(this.opts.labels).length) {
          await this.client.machines.patch(this.id, { metadata: { labels: this.opts.labels } });
        }
        const status: Machine['status'] = {
          hostname: facts.hostname,
          address: facts.address,
          agentVersion: version,
          capacity,
          allocatable: capacity,
        };
        if (this.opts.endpoint) status.agentEndpoint = this.opts.endpoint;
        await this.client.machines.patchStatus(this.id, status);
        return;
      } catch (err) {
        if (this.closed) return;
        if (err instanceof ApiError && err.code === 409 && attempt < 5) continue; // raced another registration
        if (err instanceof ApiError && err.code < 500) throw err;
        this.log.warn({ err: String(err) }, 'registration failed; retrying');
        await sleep(Math.min(200 * 2 ** attempt, 5_000) * (0.5 + Math.random()));
      }
    }
  }

  private scheduleBeat(): void {
    if (this.closed) return;
    // Three beats per grace period, so one lost beat never costs the machine its tasks.
    const every = Math.min(this.opts.heartbeatMs ?? 5_000, (this.graceSeconds * 1000) / 3);
    this.heartbeat = setTimeout(() => void this.beat().finally(() => this.scheduleBeat()), every);
  }

  private async beat(): Promise<void> {
    try {
      const res = await this.heartbeatClient.request<{ graceSeconds?: number }>('POST', `/api/v1/machines/${this.id}/heartbeat`);
      if (typeof res.body?.graceSeconds === 'number' && res.body.graceSeconds > 0) this.graceSeconds = res.body.graceSeconds;
    } catch (err) {
      if (!this.closed) this.log.warn({ err: String(err) }, 'heartbeat failed');
      if (err instanceof ApiError && err.code === 404) await this.register().catch(() => {});
    }
  }

  private *measuredTasks() {
    for (const r of this.runners.values()) {
      const m = r.measured();
      if (m) yield m;
    }
  }

  private context(): RunnerContext {
    return {
      machine: this.id,
      tasksDir: this.tasksDir,
      client: this.client,
      reporter: this.reporter,
      driverFor: (t) => (t.spec.template.unit && this.opts.drivers.unit && t.spec.template.driver !== 'exec' ? this.opts.drivers.unit : this.opts.drivers.exec),
      baseEnv: (t) => ({
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
        HOME: process.env.HOME ?? '/',
        LANG: process.env.LANG ?? 'C.UTF-8',
        DROVER_TASK: t.metadata.name,
        DROVER_TASK_UID: t.metadata.uid,
        DROVER_MACHINE: this.id,
      }),
      forget: (uid) => this.runners.delete(uid),
      runStarted: () => this.usage?.soon(),
      onError: (err, what) => this.log.error({ err: String(err) }, `${what} failed`),
    };
  }

  /** Runs left by a previous agent (its shims outlived it): re-attach before syncing. */
  private adoptRuns(): void {
    const ctx = this.context();
    for (const uid of readdirSync(this.tasksDir)) {
      const r = TaskRunner.adopt(ctx, uid);
      if (r) this.runners.set(uid, r);
    }
  }

  private runnerFor(task: Task): TaskRunner {
    let r = this.runners.get(task.metadata.uid);
    if (!r) this.runners.set(task.metadata.uid, (r = new TaskRunner(this.context(), task.metadata.uid)));
    return r;
  }

  /** List + watch of this machine's tasks; a resume the server cannot serve (410) lists again. */
  private async syncTasks(): Promise<void> {
    while (!this.closed) {
      const listed = new Set<string>();
      let initial = true;
      try {
        for await (const ev of this.client.tasks.watch({ fieldSelector: `spec.machine=${this.id}`, signal: this.abort.signal })) {
          if (ev.type === 'BOOKMARK') {
            if (initial) {
              initial = false;
              // Whatever we run that the list does not have is no longer ours.
              for (const [uid, r] of this.runners) if (!listed.has(uid)) r.update(undefined);
              this.markSynced();
            }
            continue;
          }
          const task = ev.object as Task;
          if (initial) listed.add(task.metadata.uid);
          if (ev.type === 'DELETED') this.runners.get(task.metadata.uid)?.update(undefined);
          else this.runnerFor(task).update(task);
        }
      } catch (err) {
        if (this.closed) return;
        if (!(err instanceof ApiError && err.code === 410)) {
          this.log.warn({ err: String(err) }, 'task watch failed; listing again');
          await sleep(500 * (0.5 + Math.random()));
        }
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
