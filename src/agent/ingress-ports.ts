// The agent's layer 4 ingress ports (kube-proxy's NodePort): it mirrors every Endpoints object,
// listens on each service's ingress ports and forwards to ready tasks (see ingress/tcp-ports.ts).
// A port it cannot bind is said on the Machine (condition IngressPorts) and in its log; it never
// stops the agent.
import type { Logger } from 'pino';
import type { Client } from '../client/client.js';
import { TcpIngress, type PortProblem } from '../ingress/tcp-ports.js';
import { mirror } from '../ingress/mirror.js';

export interface IngressPortsOptions {
  client: Client;
  machine: string;
  /** Interface to listen on (default all). */
  address?: string;
  /** Whether this agent is stopping the task `name` of `namespace` (it gets no new connection). */
  isStopping: (namespace: string, task: string) => boolean;
  log: Logger;
}

export class IngressPorts {
  private readonly tcp: TcpIngress;
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  private hadProblems = false;
  /** untilUnrouted's checks, run at every change of the Endpoints. */
  private readonly waiters = new Set<() => void>();

  constructor(private readonly opts: IngressPortsOptions) {
    this.tcp = new TcpIngress({
      address: opts.address,
      // Only this machine's tasks can be ones it is stopping: others cost one comparison per connection.
      isExcluded: (namespace, task, machine) => machine === opts.machine && opts.isStopping(namespace, task),
      onProblems: (problems) => void this.report(problems),
    });
  }

  start(): void {
    this.running ??= mirror(this.opts.client.endpoints, {
      replaceAll: (all) => {
        this.tcp.replaceAll(all);
        this.changed();
      },
      set: (ep) => {
        this.tcp.set(ep);
        this.changed();
      },
      delete: (ep) => {
        this.tcp.delete(ep);
        this.changed();
      },
      onError: (err) => this.opts.log.warn({ err: String(err) }, 'endpoints watch failed; listing again'),
    }, this.abort.signal);
  }

  /**
   * Resolves once the Endpoints no longer list `task` as ready, then `settleMs` later (the other
   * agents and the proxies get the same change at about the same time), or after `capMs`. A task
   * being deleted is stopped only then: no connection is sent to a task already stopped.
   */
  async untilUnrouted(namespace: string, task: string, capMs = 3_000, settleMs = 300): Promise<void> {
    if (!this.running || this.abort.signal.aborted) return;
    const deadline = Date.now() + capMs;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const check = () => {
        if (!this.tcp.upstreams.listsReady(namespace, task) || this.abort.signal.aborted) done();
      };
      const timer = setTimeout(done, capMs);
      this.waiters.add(check);
      check();
    });
    const left = deadline - Date.now();
    if (left > 0 && !this.abort.signal.aborted) await new Promise((r) => setTimeout(r, Math.min(settleMs, left)));
  }

  private changed(): void {
    for (const check of [...this.waiters]) check();
  }

  async close(): Promise<void> {
    this.abort.abort();
    this.changed();
    await this.running;
    await this.tcp.close();
  }

  private async report(problems: PortProblem[]): Promise<void> {
    for (const p of problems) this.opts.log.error({ port: p.port, service: p.service }, `ingress port: ${p.message}`);
    if (problems.length === 0 && !this.hadProblems) return;
    this.hadProblems = problems.length > 0;
    const condition = {
      type: 'IngressPorts',
      status: problems.length ? ('False' as const) : ('True' as const),
      reason: problems.length ? 'PortsUnavailable' : 'Listening',
      message: problems.length ? problems.map((p) => `${p.message} (service ${p.service})`).join('; ') : 'every ingress port is bound',
      lastTransitionTime: new Date().toISOString(),
    };
    try {
      const m = await this.opts.client.machines.find(this.opts.machine);
      const conditions = [...(m?.status?.conditions ?? []).filter((c) => c.type !== 'IngressPorts'), condition];
      await this.opts.client.machines.patchStatus(this.opts.machine, { conditions });
    } catch (err) {
      this.opts.log.warn({ err: String(err) }, 'reporting the ingress ports on the machine failed');
    }
  }
}
