// Who gets a connection: a service's ready endpoints for one port name, in round-robin order.
// Both proxies (the agents' layer 4 ports and the layer 7 Ingress proxy) ask here, then try the
// candidates in the order given, so a refused connection moves on to the next ready task.
import type { Endpoints } from '../model/index.js';

/** One place a connection may go. */
export interface Upstream {
  task: string;
  host: string;
  port: number;
}

/** The Endpoints objects a proxy knows, by namespace and service, and a round-robin cursor per service port. */
export class UpstreamTable {
  private readonly byService = new Map<string, Endpoints>();
  private readonly cursors = new Map<string, number>();

  set(ep: Endpoints): void {
    this.byService.set(keyOf(ep.metadata.namespace, ep.metadata.name), ep);
  }

  delete(namespace: string | undefined, service: string): void {
    this.byService.delete(keyOf(namespace, service));
  }

  clear(): void {
    this.byService.clear();
  }

  get(namespace: string | undefined, service: string): Endpoints | undefined {
    return this.byService.get(keyOf(namespace, service));
  }

  all(): Iterable<Endpoints> {
    return this.byService.values();
  }

  /** Whether any service of `namespace` still lists `task` as a ready endpoint. */
  listsReady(namespace: string, task: string): boolean {
    for (const ep of this.byService.values()) {
      if ((ep.metadata.namespace ?? 'default') !== namespace) continue;
      if (ep.status?.addresses?.some((a) => a.task === task && a.ready)) return true;
    }
    return false;
  }

  /**
   * The ready endpoints of `service` for `portName` (default the service's first port), starting
   * at the next one in turn; `isExcluded` drops tasks known to be going away before the server says so.
   */
  candidates(namespace: string | undefined, service: string, portName?: string, isExcluded?: (namespace: string, task: string, machine: string) => boolean): Upstream[] {
    const ep = this.get(namespace, service);
    const ns = namespace ?? 'default';
    return ep ? readyUpstreams(ep, portName, isExcluded && ((task, machine) => isExcluded(ns, task, machine)), this.turn(`${keyOf(namespace, service)}\0${portName ?? ''}`)) : [];
  }

  private turn(key: string): number {
    const n = this.cursors.get(key) ?? 0;
    this.cursors.set(key, n + 1);
    return n;
  }
}

/** The ready upstreams of `ep` for `portName`, rotated to start at `turn` (modulo their number). */
export function readyUpstreams(ep: Endpoints, portName: string | undefined, isExcluded: ((task: string, machine: string) => boolean) | undefined, turn: number): Upstream[] {
  const name = portName ?? ep.status?.ports?.[0]?.name;
  const ready: Upstream[] = [];
  for (const a of ep.status?.addresses ?? []) {
    if (!a.ready || isExcluded?.(a.task, a.machine)) continue;
    // Without a port name (a template that declares no ports) nothing can be reached.
    const port = name === undefined ? undefined : a.ports[name];
    if (port === undefined) continue;
    ready.push({ task: a.task, host: a.host, port });
  }
  if (ready.length < 2) return ready;
  const start = turn % ready.length;
  return [...ready.slice(start), ...ready.slice(0, start)];
}

export function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? 'default'}/${name}`;
}
