// Layer 4 ingress ports, as kube-proxy's NodePort: for every service ingress port the agent
// listens on it and forwards each TCP connection to one of the service's ready endpoints,
// round-robin; a refused connection moves on to the next ready one, so a task that has just
// stopped never costs a client its connection.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Endpoints } from '../model/index.js';
import { UpstreamTable, keyOf, type Upstream } from './upstreams.js';

export interface TcpIngressOptions {
  /** Interface to listen on (default all). */
  address?: string;
  /** Tasks to send nothing to though the server still lists them ready (this agent is stopping them). */
  isExcluded?: (namespace: string, task: string, machine: string) => boolean;
  /** The ports that cannot be bound now (empty: all are), each with why; called when that changes. */
  onProblems?: (problems: PortProblem[]) => void;
  /** How long a connection attempt to one upstream may take before the next is tried (default 3 s). */
  connectTimeoutMs?: number;
  /** How often ports that could not be bound are tried again (default 5 s). */
  retryMs?: number;
}

export interface PortProblem {
  port: number;
  service: string;
  message: string;
}

interface Listener {
  port: number;
  /** "namespace/service" it forwards to, and the template port name. */
  service: string;
  targetPort?: string;
  server?: Server;
  problem?: string;
}

export class TcpIngress {
  readonly upstreams = new UpstreamTable();
  private readonly listeners = new Map<number, Listener>();
  private readonly connections = new Set<Socket>();
  private retry?: NodeJS.Timeout;
  private reported = '[]';
  private closed = false;

  constructor(private readonly opts: TcpIngressOptions = {}) {}

  /** Replaces what it knows with `all` and converges its listeners on their ingress ports. */
  replaceAll(all: Iterable<Endpoints>): void {
    this.upstreams.clear();
    for (const ep of all) this.upstreams.set(ep);
    this.converge();
  }

  set(ep: Endpoints): void {
    this.upstreams.set(ep);
    this.converge();
  }

  delete(ep: Endpoints): void {
    this.upstreams.delete(ep.metadata.namespace, ep.metadata.name);
    this.converge();
  }

  /** Port → "namespace/service" for the ports it listens on now. */
  listening(): Map<number, string> {
    return new Map([...this.listeners.values()].filter((l) => l.server?.listening).map((l) => [l.port, l.service]));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    for (const c of this.connections) c.destroy();
    await Promise.all([...this.listeners.values()].map((l) => closeServer(l.server)));
    this.listeners.clear();
  }

  private converge(): void {
    if (this.closed) return;
    const wanted = wantedPorts(this.upstreams.all());
    for (const [port, l] of this.listeners) {
      const w = wanted.get(port);
      if (!w) {
        // Connections already forwarded stay up (as kube-proxy's); new ones are refused.
        void closeServer(l.server);
        this.listeners.delete(port);
      } else {
        l.service = w.service;
        l.targetPort = w.targetPort;
      }
    }
    for (const [port, w] of wanted) if (!this.listeners.has(port)) this.open({ port, ...w });
    this.report();
  }

  private open(l: Listener): void {
    this.listeners.set(l.port, l);
    const server = createServer({ pauseOnConnect: true }, (socket) => this.forward(l, socket));
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (this.listeners.get(l.port) !== l) return;
      l.server = undefined;
      l.problem = err.code === 'EADDRINUSE' ? `port ${l.port} is already in use on this machine` : err.code === 'EACCES' ? `no permission to listen on port ${l.port}` : `cannot listen on port ${l.port}: ${err.message}`;
      this.report();
      this.scheduleRetry();
    });
    server.listen({ port: l.port, host: this.opts.address }, () => {
      if (this.listeners.get(l.port) !== l || this.closed) return void server.close();
      l.problem = undefined;
      this.report();
    });
    l.server = server;
  }

  private scheduleRetry(): void {
    if (this.retry || this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      for (const l of [...this.listeners.values()]) {
        if (l.problem !== undefined) {
          this.listeners.delete(l.port);
          this.open({ port: l.port, service: l.service, targetPort: l.targetPort, problem: l.problem });
        }
      }
    }, this.opts.retryMs ?? 5_000);
    this.retry.unref();
  }

  private report(): void {
    const problems = [...this.listeners.values()].filter((l) => l.problem !== undefined).map((l) => ({ port: l.port, service: l.service, message: l.problem! }));
    const text = JSON.stringify(problems);
    if (text === this.reported) return;
    this.reported = text;
    this.opts.onProblems?.(problems);
  }

  private forward(l: Listener, client: Socket): void {
    this.connections.add(client);
    client.once('close', () => this.connections.delete(client));
    client.on('error', () => client.destroy());
    const [namespace, service] = splitKey(l.service);
    const candidates = this.upstreams.candidates(namespace, service, l.targetPort, this.opts.isExcluded);
    this.tryUpstream(client, candidates, 0);
  }

  private tryUpstream(client: Socket, candidates: Upstream[], i: number): void {
    const up = candidates[i];
    if (!up || client.destroyed) return void client.destroy();
    const upstream = connect({ host: up.host, port: up.port });
    upstream.setTimeout(this.opts.connectTimeoutMs ?? 3_000, () => upstream.destroy(new Error('connect timeout')));
    // A client that leaves while its upstream is still connecting takes that attempt with it.
    const abandon = () => upstream.destroy();
    client.once('close', abandon);
    const failed = () => {
      client.off('close', abandon);
      this.tryUpstream(client, candidates, i + 1);
    };
    upstream.once('error', failed);
    upstream.once('connect', () => {
      upstream.setTimeout(0);
      upstream.off('error', failed);
      this.connections.add(upstream);
      upstream.once('close', () => this.connections.delete(upstream));
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }
}

/** Port → the service (first by namespace/name when two claim one) and target port name. */
function wantedPorts(all: Iterable<Endpoints>): Map<number, { service: string; targetPort?: string }> {
  const sorted = [...all].sort((a, b) => keyOf(a.metadata.namespace, a.metadata.name).localeCompare(keyOf(b.metadata.namespace, b.metadata.name)));
  const wanted = new Map<number, { service: string; targetPort?: string }>();
  for (const ep of sorted) {
    for (const ing of ep.status?.ingress ?? []) {
      if (!wanted.has(ing.port)) wanted.set(ing.port, { service: keyOf(ep.metadata.namespace, ep.metadata.name), ...(ing.targetPort ? { targetPort: ing.targetPort } : {}) });
    }
  }
  return wanted;
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}

function closeServer(server: Server | undefined): Promise<void> {
  return new Promise((r) => (server?.listening ? server.close(() => r()) : r()));
}
