// Hosts: the server investigates each Host over SSH (facts), bootstraps it (starts a drover agent
// there and waits for the Machine it registers) and checks it again every healthIntervalMs: an
// unreachable host is failed with the reason, and a failed one that answers again (SSH and its
// agent) is back to active. Commissaire's lifecycle: investigating → bootstrapping → active, or
// disassociated when the host is in no cluster with a container manager; any failure → failed.
import type { Logger } from 'pino';
import { NotFound } from '../errors.js';
import { HOST_LABEL, isMachineReady, settledHostPhase, type Cluster, type Host, type HostPhase, type HostStatus, type Machine } from '../model/index.js';
import { readMachineId, startAgent } from '../hosts/agent-start.js';
import { connectHost, HostFailure } from '../hosts/connect.js';
import { gatherFacts } from '../hosts/facts.js';
import { SshError, SshSession } from '../hosts/ssh.js';
import type { State } from '../state/state.js';
import type { Subscription } from '../state/watch-cache.js';
import { setCondition } from './conditions.js';

export interface HostControllerOptions {
  /** URL the hosts reach this server at (asked when needed: the server knows its port once it listens). */
  serverUrl: () => string;
  /** The agent program on the hosts and its leading arguments (…, "agent"). */
  agentCommand: string[];
  /** The agent's data dir on a host; "{host}" stands for the Host's name. */
  agentDataDir: string;
  /** How often each host is checked again (default 60 s: Commissaire's at most once a minute). */
  healthIntervalMs?: number;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** How long a started agent has to register its Machine and become Ready (default 60 s). */
  machineWaitMs?: number;
  /** PEM of the cluster CA, when agents must trust an https server. */
  ca?: string;
  /** The values of a secret, read as the server's own principal. */
  secretValues(namespace: string, name: string): Promise<Record<string, string>>;
  /** A new join token for an agent, when the server authenticates. */
  joinToken?(host: string): Promise<string>;
}

export class HostController {
  private sub?: Subscription;
  private clusterSub?: Subscription;
  /** The hosts a pass runs for, and the pass: close() waits for them. */
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly state: State,
    private readonly opts: HostControllerOptions,
    private readonly log: Logger,
  ) {}

  private get interval(): number {
    return this.opts.healthIntervalMs ?? 60_000;
  }

  start(): void {
    this.sub = this.state.cache('hosts').subscribe({}, { send: (ev, type) => type !== 'DELETED' && this.kick(ev.name), bookmark: () => {} });
    // A cluster that appears, goes, or gains or loses its container manager moves its members
    // between active and disassociated: their next pass settles them again.
    this.clusterSub = this.state.cache('clusters').subscribe({}, { send: (ev) => this.membersOf(ev.name).forEach((h) => this.kick(h)), bookmark: () => {} });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sub?.close();
    this.clusterSub?.close();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled(this.running.values());
  }

  /** Runs one pass for a host; events during a pass run one more after it (never two at once). */
  private kick(name: string): void {
    if (this.closed) return;
    if (this.running.has(name)) {
      this.again.add(name);
      return;
    }
    const pass = this.pass(name)
      .catch((err) => this.log.error({ err, host: name }, 'host pass failed'))
      .finally(() => {
        this.running.delete(name);
        if (this.again.delete(name)) this.kick(name);
      });
    this.running.set(name, pass);
  }

  private schedule(name: string, at: number): void {
    if (this.closed) return;
    clearTimeout(this.timers.get(name));
    const timer = setTimeout(() => (this.timers.delete(name), this.kick(name)), Math.max(0, at - Date.now()));
    timer.unref();
    this.timers.set(name, timer);
  }

  private async pass(name: string): Promise<void> {
    const host = this.state.resources<Host>('hosts').get(name);
    if (!host || host.metadata.deletionTimestamp) {
      clearTimeout(this.timers.get(name));
      this.timers.delete(name);
      return;
    }
    const changed = host.status?.observedGeneration !== host.metadata.generation;
    const lastCheck = Date.parse(host.status?.lastCheck ?? '') || 0;
    if (!changed && Date.now() - lastCheck < this.interval) {
      await this.settle(host);
      return this.schedule(name, lastCheck + this.interval);
    }
    try {
      await this.converge(host, changed);
    } catch (err) {
      const reason = err instanceof SshError || err instanceof HostFailure ? err.reason : 'BootstrapFailed';
      const message = (err as Error).message;
      this.log.warn({ host: name, reason, message }, 'host failed');
      await this.writeStatus(name, (st) => ({
        ...st,
        phase: 'failed',
        reason,
        message,
        lastCheck: new Date().toISOString(),
        observedGeneration: host.metadata.generation,
        conditions: setCondition(st.conditions, { type: 'Healthy', status: 'False', reason, message }) ?? st.conditions,
      }));
    }
    this.schedule(name, Date.now() + this.interval);
  }

  /** Investigates the host and, when its agent is not (or no longer) serving it, bootstraps it. */
  private async converge(host: Host, changed: boolean): Promise<void> {
    const name = host.metadata.name;
    // A changed spec (joining a cluster, say) needs no new bootstrap while the agent serves the host.
    const serving = !!host.status?.machine && this.agentServes(name, host.status.machine);
    const fresh = (changed && !serving) || !host.status?.phase || host.status.phase === 'investigating' || host.status.phase === 'bootstrapping';
    if (fresh) await this.progress(name, 'investigating', 'Investigating', `connecting to ${host.spec.address}:${host.spec.port ?? 22} over SSH`);
    const ssh = await this.connect(host);
    try {
      await this.writeStatus(name, (st) => ({ ...st, hostKeyFingerprint: st.hostKeyFingerprint ?? ssh.hostKeyFingerprint }));
      const facts = await gatherFacts(ssh, this.commandTimeout);
      await this.writeStatus(name, (st) => ({ ...st, ...facts, lastCheck: new Date().toISOString() }));
      const machineId = host.spec.machineId ?? (await readMachineId(ssh, this.commandTimeout));
      const final = this.settledPhase(host);
      if (!fresh && this.agentServes(name, machineId)) {
        await this.finish(host, final, machineId, 'HealthCheckPassed', 'SSH and the drover agent answer');
        return;
      }
      await this.progress(name, 'bootstrapping', 'StartingAgent', 'starting the drover agent on the host');
      const started = await startAgent(ssh, {
        command: this.opts.agentCommand,
        dataDir: this.opts.agentDataDir.replaceAll('{host}', name),
        server: this.opts.serverUrl(),
        machineId,
        host: name,
        listenAddress: host.spec.address,
        timeoutMs: this.commandTimeout,
        ...(this.opts.ca ? { ca: this.opts.ca } : {}),
        ...(this.opts.joinToken ? { joinToken: await this.opts.joinToken(name) } : {}),
      });
      await this.progress(name, 'bootstrapping', 'WaitingForMachine', `the drover agent ${started === 'running' ? 'was already running' : 'started'}; waiting for machine ${machineId} to register and become Ready`);
      await this.waitForMachine(name, machineId);
      await this.finish(host, final, machineId, 'AgentReady', `machine ${machineId} is registered and Ready`);
    } finally {
      ssh.close();
    }
  }

  private settledPhase(host: Host): HostPhase {
    return settledHostPhase(host.spec.cluster ? this.state.resources<Cluster>('clusters').get(host.spec.cluster) : undefined);
  }

  private membersOf(cluster: string): string[] {
    return this.state
      .resources<Host>('hosts')
      .list()
      .filter((h) => h.spec.cluster === cluster)
      .map((h) => h.metadata.name);
  }

  /** Moves a settled host between active and disassociated when its cluster changed, without SSH. */
  private async settle(host: Host): Promise<void> {
    const phase = host.status?.phase;
    if (phase !== 'active' && phase !== 'disassociated') return;
    const next = this.settledPhase(host);
    if (next === phase) return;
    const cluster = host.spec.cluster;
    const message = next === 'active' ? `cluster "${cluster}" has a container manager` : cluster ? `cluster "${cluster}" ${this.state.resources<Cluster>('clusters').get(cluster) ? 'has no container manager' : 'does not exist'}` : 'the host is in no cluster';
    await this.writeStatus(host.metadata.name, (st) => (st.phase === phase ? { ...st, phase: next, reason: 'ClusterChanged', message } : st));
  }

  private get commandTimeout(): number {
    return this.opts.commandTimeoutMs ?? 30_000;
  }

  private connect(host: Host): Promise<SshSession> {
    return connectHost(host, { secretValues: this.opts.secretValues, ...(this.opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.opts.connectTimeoutMs } : {}) });
  }

  /** Whether the host's Machine is registered, linked to this host and Ready (its agent answers). */
  private agentServes(host: string, machineId: string): boolean {
    const m = this.state.resources<Machine>('machines').get(machineId);
    return !!m && m.metadata.labels?.[HOST_LABEL] === host && isMachineReady(m);
  }

  private async waitForMachine(host: string, machineId: string): Promise<void> {
    const machines = this.state.resources<Machine>('machines');
    const waitMs = this.opts.machineWaitMs ?? 60_000;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const m = machines.get(machineId);
      if (m && isMachineReady(m)) break;
      if (this.closed) throw new HostFailure('Interrupted', 'the server stopped running controllers while the agent was starting');
      if (Date.now() > deadline) {
        throw new HostFailure('AgentNotRegistered', `machine ${machineId} ${m ? 'registered but is not Ready' : 'did not register'} within ${waitMs / 1000}s of starting the agent: see agent.log in the agent's data dir on the host (can the host reach ${this.opts.serverUrl()}?)`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    // An agent keeps the labels the API gave its Machine: a pre-registered Machine gets the link here.
    await machines.update(machineId, (m) => (m.metadata.labels?.[HOST_LABEL] === host ? undefined : { ...m, metadata: { ...m.metadata, labels: { ...m.metadata.labels, [HOST_LABEL]: host } } }));
  }

  private async progress(name: string, phase: HostPhase, reason: string, message: string): Promise<void> {
    await this.writeStatus(name, (st) => ({ ...st, phase, reason, message, conditions: setCondition(st.conditions, { type: 'Progressing', status: 'True', reason, message }) ?? st.conditions }));
  }

  private async finish(host: Host, phase: HostPhase, machine: string, reason: string, message: string): Promise<void> {
    await this.writeStatus(host.metadata.name, (st) => {
      let conditions = setCondition(st.conditions, { type: 'Progressing', status: 'False', reason, message }) ?? st.conditions;
      conditions = setCondition(conditions, { type: 'Healthy', status: 'True', reason, message }) ?? conditions;
      return { ...st, phase, reason, message, machine, lastCheck: new Date().toISOString(), observedGeneration: host.metadata.generation, conditions };
    });
  }

  /** Writes the host's status; a host deleted meanwhile is not an error. */
  private async writeStatus(name: string, next: (status: HostStatus) => HostStatus): Promise<void> {
    // A pass that outlives close() (an SSH step under way) writes nothing: another leader owns the hosts now.
    if (this.closed) return;
    await this.state
      .resources<Host>('hosts')
      .update(name, (cur) => ({ ...cur, status: next(cur.status ?? {}) }))
      .catch((err: unknown) => {
        if (!(err instanceof NotFound)) throw err;
      });
  }
}
