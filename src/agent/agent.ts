// The node agent: registers its Machine, heartbeats, watches the tasks bound to it (list +
// watch, never polling) and converges on them through its drivers. It talks to the server only
// through the public API, like the kubelet.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { Client, type ClientOptions, type Machine, type Pool, type Task } from '../client/client.js';
import { ApiError } from '../errors.js';
import { version } from '../version.js';
import type { Driver } from './drivers/driver.js';
import { hostFacts, hostUsage } from './host.js';
import { resolveMachineId } from './machine-id.js';
import { ClusterIdentity } from './cluster-identity.js';
import { LoopLagMonitor } from './loop-lag.js';
import { StartGate } from './start-gate.js';
import { DatasetController, type DatasetControllerOptions } from './datasets/controller.js';
import { TaskVolumes } from './datasets/task-volumes.js';
import { MachineUnits } from './machine-units.js';
import { StatusReporter } from './status-reporter.js';
import { EventRecorder } from '../events/recorder.js';
import { clientEventSink } from '../events/client-sink.js';
import { TaskRunner, type RunnerContext } from './task-runner.js';
import { UsageMonitor } from './usage-monitor.js';
import { IngressPorts } from './ingress-ports.js';

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
  drivers: { exec: Driver; unit?: Driver; container?: Driver };
  logger: Logger;
  /** Use this machine id file instead of /etc/machine-id (tests, `drover dev`). */
  systemMachineIdFile?: string;
  /** The agent's own credential and TLS trust for the server (see node-join.ts). */
  credentials?: ClientOptions['credentials'];
  tls?: ClientOptions['tls'];
  /** Connection pool for the agent's requests (see ClientOptions.dispatcher); hollow machines share one. */
  dispatcher?: Pool;
  /** Connection pool for heartbeats alone (default: the one above), so queued reports never delay them. */
  heartbeatDispatcher?: Pool;
  /** Take the server's cluster as this agent's even if it remembers another (see cluster-identity.ts). */
  acceptNewCluster?: boolean;
  /** How often task and machine usage may be written (default 10 s); 0 (hollow machines) measures nothing and enforces no memory limit. */
  usageIntervalMs?: number;
  /** How often memory limits are checked while a task has one (default 5 s). */
  memoryCheckMs?: number;
  /** Manage datasets (see datasets/controller.ts); absent: this agent holds none (hollow machines). */
  datasets?: Pick<DatasetControllerOptions, 'sizeRefreshMs' | 'sendBytesPerSecond'>;
  /** Serve the services' layer 4 ingress ports on this machine, on `address` (default all interfaces); absent: none (hollow machines). */
  ingress?: { address?: string };
}

export class Agent {
  readonly id: string;
  /** Flocker's era: a new UUID each time the agent starts, so a restart shows as a new era. */
  readonly era = randomUUID();
  readonly client: Client;
  /**
   * Heartbeats go through their own client, like the kubelet's separate lease client: behind a
   * burst of status reports on a shared, bounded pool they waited past the grace period, and
   * machines that were fine were declared lost.
   */
  private readonly heartbeatClient: Client;
  private readonly runners = new Map<string, TaskRunner>();
  private readonly startGate = new StartGate();
  private readonly lag: LoopLagMonitor;
  /** The units among them, for timers. */
  private readonly units = new MachineUnits(() => this.runners.values());
  private readonly reporter: StatusReporter;
  /** Events about this machine's tasks (check failures, restarts). */
  readonly events: EventRecorder;
  private readonly usage?: UsageMonitor;
  private readonly abort = new AbortController();
  private readonly identity: ClusterIdentity;
  /** The datasets this machine holds, moves and lends its tasks (undefined: it manages none). */
  readonly datasets?: DatasetController;
  private readonly volumes?: TaskVolumes;
  private readonly ingressPorts?: IngressPorts;
  private datasetsStarted = false;
  /** Why the agent acts on nothing the server says (another cluster, a store gone back in time), or undefined. */
  private frozen: string | undefined;
  /** Ends the current task watch (the agent froze). */
  private watchAbort = new AbortController();
  private heartbeat?: NodeJS.Timeout;
  private runnerContext?: RunnerContext;
  private graceSeconds = 15;
  /** The address this machine registered (status.address): where its tasks' ports are reached. */
  private address = '';
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
    this.identity = new ClusterIdentity(join(dataDir, 'cluster.json'), opts.acceptNewCluster);
    this.lag = new LoopLagMonitor(opts.logger);
    const connection = { credentials: opts.credentials, tls: opts.tls };
    this.client = new Client({ server: opts.server, dispatcher: opts.dispatcher, ...connection });
    if (opts.datasets) {
      this.datasets = new DatasetController({ ...opts.datasets, machine: this.id, client: this.client, dataDir, log: opts.logger });
      this.volumes = new TaskVolumes(this.datasets.local);
    }
    if (opts.ingress) {
      this.ingressPorts = new IngressPorts({ client: this.client, machine: this.id, address: opts.ingress.address, isStopping: (namespace, task) => this.isStopping(namespace, task), log: opts.logger });
    }
    this.heartbeatClient = new Client({ server: opts.server, dispatcher: opts.heartbeatDispatcher ?? opts.dispatcher, ...connection });
    this.reporter = new StatusReporter(this.client, this.id, (err, task) => opts.logger.warn({ err: String(err), task }, 'status report failed'));
    this.events = new EventRecorder({
      sink: clientEventSink(this.client, this.id),
      source: { component: 'agent', machine: this.id },
      onError: (err, what) => opts.logger.warn({ err: String(err) }, `recording event ${what} failed`),
    });
    this.synced = new Promise((r) => (this.markSynced = r));
    // A timer the previous agent left must not fire before the unit it starts is known again.
    void this.synced.then(() => this.units.known());
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

  /** Whether this machine runs (ran) the task and is stopping it, or has: no new connection goes there. */
  private isStopping(namespace: string, task: string): boolean {
    for (const r of this.runners.values()) if (r.knownAs?.name === task && r.knownAs.namespace === namespace) return r.isStopping;
    return false;
  }

  /**
   * Resolves once registered and syncing; or, when the server answers for another cluster,
   * at once, the agent idle (its tasks left running) until the right cluster is back.
   */
  async start(): Promise<void> {
    await this.datasets?.prepare();
    this.adoptRuns();
    for (let delay = 200; !this.closed; delay = Math.min(delay * 2, 5_000)) {
      const problem = await this.checkCluster();
      if (typeof problem === 'string') return this.freeze(problem);
      if (problem === undefined) break;
      await sleep(delay * (0.5 + Math.random()));
    }
    await this.resume();
  }

  /** Why the agent is acting on nothing the server says, or undefined (tests, `drover agent` logs). */
  get frozenReason(): string | undefined {
    return this.frozen;
  }

  private async resume(): Promise<void> {
    if (this.closed) return;
    await this.register();
    await this.beat();
    this.scheduleBeat();
    this.datasets?.resume();
    if (this.datasets && !this.datasetsStarted) {
      this.datasetsStarted = true;
      await this.datasets.start();
    }
    this.syncing = this.syncTasks();
    this.usage?.start();
    this.ingressPorts?.start();
  }

  /**
   * Resolves once the server answers for this agent's cluster. Until then the agent acts on
   * nothing: it keeps its tasks running, stops none, and says why (log, Machine condition).
   */
  private async joinCluster(): Promise<void> {
    for (let delay = 200; !this.closed; delay = Math.min(delay * 2, 5_000)) {
      const problem = await this.checkCluster();
      if (problem === undefined) {
        if (this.frozen) this.log.warn('the server answers for this agent\'s cluster again: resuming');
        this.frozen = undefined;
        return;
      }
      if (problem !== null && problem !== this.frozen) {
        this.frozen = problem;
        this.log.error({ machine: this.id }, problem);
        await this.reportFrozen(problem);
      }
      await sleep(delay);
    }
  }

  /** undefined: the server is this agent's cluster; a string: why not; null: the server could not be asked. */
  private async checkCluster(): Promise<string | undefined | null> {
    try {
      const t = (await this.client.request<{ clusterId?: string; revision: number }>('GET', '/api/v1/system/time')).body;
      return t.clusterId ? this.identity.check(t.clusterId, t.revision) : undefined;
    } catch (err) {
      if (!this.closed) this.log.warn({ err: String(err) }, 'cannot reach the server; retrying');
      return null;
    }
  }

  /** The agent found itself talking to another cluster: it stops acting until the right one is back. */
  private freeze(problem: string): void {
    if (this.frozen || this.closed) return;
    this.frozen = problem;
    this.log.error({ machine: this.id }, problem);
    clearTimeout(this.heartbeat);
    this.watchAbort.abort();
    this.datasets?.pause();
    void (async () => {
      await this.syncing;
      await this.reportFrozen(problem);
      await this.joinCluster();
      await this.resume();
    })().catch((err: unknown) => this.log.error({ err: String(err) }, 'resuming after a cluster change failed'));
  }

  /** Says why on the Machine, if the server has one by this name (it never registers it in a foreign store). */
  private async reportFrozen(problem: string): Promise<void> {
    try {
      const m = await this.client.machines.find(this.id);
      if (!m) return;
      const conditions = [...(m.status?.conditions ?? []).filter((c) => c.type !== 'ClusterMismatch'), { type: 'ClusterMismatch', status: 'True' as const, reason: 'ClusterMismatch', message: problem, lastTransitionTime: new Date().toISOString() }];
      await this.client.machines.patchStatus(this.id, { conditions });
    } catch {
      // the log says it already
    }
  }

  /** Stops the agent. Tasks keep running under their shims unless `stopTasks` (drover dev). */
  async close(stopTasks = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lag.close();
    clearTimeout(this.heartbeat);
    this.usage?.close();
    this.abort.abort();
    await this.ingressPorts?.close();
    await this.syncing;
    await this.datasets?.close();
    await Promise.all([...this.runners.values()].map((r) => r.close(stopTasks)));
    if (stopTasks) {
      // Their last reports go out, for at most 2 s (a timer left pending would hold the process that long).
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all([this.reporter.drained(), this.events.drained()]), new Promise((r) => (timer = setTimeout(r, 2_000)))]);
      clearTimeout(timer);
    }
    this.reporter.close();
    this.events.close();
  }

  /**
   * Registers (or re-registers) the Machine by merge-patch. --labels are the machine's labels
   * when it is first registered; afterwards the API's win (as the kubelet's --node-labels): a
   * restart adds only the keys the machine does not have.
   */
  private async register(): Promise<void> {
    const facts = hostFacts(this.opts.dataDir, { hostname: this.opts.hostname, cpu: this.opts.cpu, memory: this.opts.memory });
    const capacity = facts.capacity;
    for (let attempt = 0; ; attempt++) {
      try {
        const existing = await this.client.machines.find(this.id);
        if (!existing) {
          await this.client.machines.create({ metadata: { name: this.id, labels: this.opts.labels ?? {} } });
        } else {
          const have = existing.metadata.labels ?? {};
          const missing = Object.entries(this.opts.labels ?? {}).filter(([k]) => !Object.hasOwn(have, k));
          if (missing.length) await this.client.machines.patch(this.id, { metadata: { labels: Object.fromEntries(missing) } });
        }
        this.address = facts.address;
        const status: Machine['status'] = {
          hostname: facts.hostname,
          address: facts.address,
          agentVersion: version,
          era: this.era,
          ...(this.datasets ? { datasetBackends: this.datasets.backends } : {}),
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
    if (this.closed || this.frozen) return;
    // Three beats per grace period, so one lost beat never costs the machine its tasks.
    const every = Math.min(this.opts.heartbeatMs ?? 5_000, (this.graceSeconds * 1000) / 3);
    this.heartbeat = setTimeout(() => void this.beat().finally(() => this.scheduleBeat()), every);
  }

  private async beat(): Promise<void> {
    try {
      const res = await this.heartbeatClient.request<{ graceSeconds?: number; clusterId?: string; revision?: number }>('POST', `/api/v1/machines/${this.id}/heartbeat`);
      if (typeof res.body?.graceSeconds === 'number' && res.body.graceSeconds > 0) this.graceSeconds = res.body.graceSeconds;
      const problem = res.body?.clusterId ? this.identity.check(res.body.clusterId, res.body.revision ?? 0) : undefined;
      if (problem) this.freeze(problem);
    } catch (err) {
      if (!this.closed) this.log.warn({ err: String(err) }, 'heartbeat failed');
      if (err instanceof ApiError && err.code === 404) {
        // The server does not know this machine: a server on another store must not get it registered.
        const problem = await this.checkCluster();
        if (typeof problem === 'string') this.freeze(problem);
        else if (problem === undefined) await this.register().catch(() => {});
      }
    }
  }

  private *measuredTasks() {
    for (const r of this.runners.values()) {
      const m = r.measured();
      if (m) yield m;
    }
  }

  /** What every task runner is given: one for the agent, not a copy with its closures per task. */
  private context(): RunnerContext {
    return (this.runnerContext ??= {
      machine: this.id,
      startGate: this.startGate,
      tasksDir: this.tasksDir,
      client: this.client,
      reporter: this.reporter,
      driverFor: (t) => {
        const tpl = t.spec.template;
        // An image runs in a container unless the template asks for another driver.
        if (tpl.image && this.opts.drivers.container && (tpl.driver === undefined || tpl.driver === 'container')) return this.opts.drivers.container;
        return tpl.unit && this.opts.drivers.unit && tpl.driver !== 'exec' ? this.opts.drivers.unit : this.opts.drivers.exec;
      },
      address: () => this.address,
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
      units: this.units,
      onUnitActivity: (runner, isActive) => this.units.changed(runner, isActive),
      volumes: this.volumes,
      events: this.events,
      untilUnrouted: this.ingressPorts ? (namespace, task) => this.ingressPorts!.untilUnrouted(namespace, task) : undefined,
    });
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

  /**
   * List + watch of this machine's tasks; a resume the server cannot serve (410) lists again.
   * Each list is checked before it is acted on: the server is this agent's cluster, and its
   * revision has not gone back (a server on an empty or restored store would list nothing,
   * and everything this machine runs would be stopped).
   */
  private async syncTasks(): Promise<void> {
    this.watchAbort = new AbortController();
    const signal = AbortSignal.any([this.abort.signal, this.watchAbort.signal]);
    while (!this.closed && !this.frozen) {
      const problem = await this.checkCluster();
      if (this.closed) return;
      if (problem) return this.freeze(problem);
      if (problem === null) {
        await sleep(500 * (0.5 + Math.random()));
        continue;
      }
      let initial: Task[] | undefined = [];
      try {
        for await (const ev of this.client.tasks.watch({ fieldSelector: `spec.machine=${this.id}`, signal })) {
          if (ev.type === 'BOOKMARK') {
            if (initial) {
              const backwards = this.identity.id ? this.identity.check(this.identity.id, ev.revision) : undefined;
              if (backwards) return this.freeze(backwards);
              const listed = new Set(initial.map((t) => t.metadata.uid));
              for (const t of initial) this.runnerFor(t).update(t);
              initial = undefined;
              // Whatever we run that the list does not have is no longer ours.
              for (const [uid, r] of this.runners) if (!listed.has(uid)) r.update(undefined);
              this.markSynced();
            }
            continue;
          }
          const task = ev.object as Task;
          if (initial) initial.push(task);
          else if (ev.type === 'DELETED') this.runners.get(task.metadata.uid)?.update(undefined);
          else this.runnerFor(task).update(task);
        }
      } catch (err) {
        if (this.closed || this.frozen) return;
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
