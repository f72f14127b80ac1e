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
      replaceAll: (all) => this.tcp.replaceAll(all),
      set: (ep) => this.tcp.set(ep),
      delete: (ep) => this.tcp.delete(ep),
      onError: (err) => this.opts.log.warn({ err: String(err) }, 'endpoints watch failed; listing again'),
    }, this.abort.signal);
  }

  async close(): Promise<void> {
    this.abort.abort();
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
