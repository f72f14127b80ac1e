// The endpoints controller: one Endpoints object per Service (same namespace and name, owned by
// the service's uid) listing every live, placed task of the service — its machine's address, its
// allocated ports, whether it is ready (isTaskReady, the one rule) — plus the service's port
// names and ingress ports. DNS, the agents' layer 4 listeners and the layer 7 proxy read it by
// watch. Written only when it changes (agents report pids and usage often; that is no change
// here), and deleted with its service, or when found without one (garbage collection).
import type { Logger } from 'pino';
import { AlreadyExists, NotFound, PreconditionFailed } from '../errors.js';
import {
  API_VERSION,
  DEFAULT_NAMESPACE,
  isTaskReady,
  sameJson,
  type EndpointAddress,
  type Endpoints,
  type EndpointsStatus,
  type Machine,
  type Service,
  type Task,
} from '../model/index.js';
import type { State } from '../state/state.js';
import type { Subscription } from '../state/watch-cache.js';
import { isLive } from './service-plan.js';
import { ownerKey } from './workload-index.js';
import { WorkQueue } from './work-queue.js';

export class EndpointsController {
  private readonly queue: WorkQueue;
  private readonly subs: Subscription[] = [];

  constructor(
    private readonly state: State,
    private readonly log: Logger,
  ) {
    this.queue = new WorkQueue((keys) => this.pass(keys), (err) => log.error({ err }, 'endpoints pass failed'));
  }

  start(): void {
    const noop = () => {};
    this.subs.push(
      this.state.cache('services').subscribe({}, { send: (ev) => this.queue.add(ev.key), bookmark: noop }),
      this.state.cache('tasks').subscribe(
        {},
        {
          send: (ev, type) => {
            const prev = ev.prev?.object as Task | undefined;
            const next = type === 'DELETED' ? undefined : (ev.entry.object as Task);
            if (prev && next && addressView(prev) === addressView(next)) return;
            for (const t of [prev, next]) {
              const owner = t && ownerKey(t);
              if (owner) this.queue.add(owner);
            }
          },
          bookmark: noop,
        },
      ),
      this.state.cache('machines').subscribe(
        {},
        {
          send: (ev, type) => {
            const before = (ev.prev?.object as Machine | undefined)?.status?.address;
            const after = type === 'DELETED' ? undefined : (ev.entry.object as Machine).status?.address;
            if (before !== after) this.machineMoved(ev.name);
          },
          bookmark: noop,
        },
      ),
      // Someone deleted one (or it is an orphan from before a restart): put it right.
      this.state.cache('endpoints').subscribe({}, { send: (ev, type) => type !== 'MODIFIED' && this.queue.add(ev.key), bookmark: noop }),
    );
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.close();
    this.queue.close();
  }

  /** Resolves when no pass is running or queued (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** A machine's address changed: every service with a task there is written again. */
  private machineMoved(machine: string): void {
    for (const t of this.state.resources<Task>('tasks').list({ fields: [{ field: 'spec.machine', op: '=', value: machine }] })) {
      const owner = ownerKey(t);
      if (owner) this.queue.add(owner);
    }
  }

  private async pass(keys: string[]): Promise<void> {
    for (const key of keys) {
      try {
        await this.sync(key);
      } catch (err) {
        if (err instanceof NotFound || err instanceof PreconditionFailed || err instanceof AlreadyExists) this.queue.add(key); // raced: look again
        else this.log.warn({ err: String(err), service: key }, 'endpoints write failed');
      }
    }
  }

  /** Brings the Endpoints of service `key` ("namespace/name") in line with the service and its tasks. */
  private async sync(key: string): Promise<void> {
    const services = this.state.resources<Service>('services');
    const endpoints = this.state.resources<Endpoints>('endpoints');
    const svc = services.get(key);
    const current = endpoints.get(key);
    if (!svc || svc.metadata.deletionTimestamp) {
      if (current) await endpoints.delete(key, { uid: current.metadata.uid });
      return;
    }
    const status = this.statusOf(svc);
    const owner = { kind: 'Service', name: svc.metadata.name, uid: svc.metadata.uid, controller: true };
    if (!current) {
      await endpoints.create({
        apiVersion: API_VERSION,
        kind: 'Endpoints',
        metadata: { name: svc.metadata.name, namespace: svc.metadata.namespace ?? DEFAULT_NAMESPACE, labels: svc.metadata.labels, ownerReferences: [owner] },
        spec: {},
        status,
      } as unknown as Endpoints);
      return;
    }
    if (current.metadata.ownerReferences?.[0]?.uid === svc.metadata.uid && sameJson(current.status ?? {}, status)) return;
    await endpoints.update(key, (cur) => ({ ...cur, metadata: { ...cur.metadata, ownerReferences: [owner] }, status }), { uid: current.metadata.uid });
  }

  private statusOf(svc: Service): EndpointsStatus {
    const namespace = svc.metadata.namespace ?? DEFAULT_NAMESPACE;
    const machines = this.state.resources<Machine>('machines');
    const tasks = this.state
      .resources<Task>('tasks')
      .list({ namespace, fields: [{ field: 'metadata.owner', op: '=', value: svc.metadata.name }] })
      .filter((t) => t.spec.machine && isLive(t) && t.metadata.ownerReferences?.some((r) => r.controller && r.uid === svc.metadata.uid))
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
    const addresses: EndpointAddress[] = tasks.map((t) => ({
      task: t.metadata.name,
      machine: t.spec.machine!,
      // An agent that has not reported its address yet: its machine's name at least says where.
      host: machines.get(t.spec.machine!)?.status?.address ?? t.spec.machine!,
      ports: Object.fromEntries((t.spec.ports ?? []).map((p) => [p.name, p.port])),
      ready: isTaskReady(t),
    }));
    const status: EndpointsStatus = {
      addresses,
      ports: (svc.spec.template.ports ?? []).map((p, i) => ({ name: p.name ?? `port${i}`, protocol: p.protocol ?? 'tcp' })),
    };
    if (svc.spec.ingress?.length) status.ingress = svc.spec.ingress;
    return status;
  }
}

/** What of a task its Endpoints show, as a string to compare (pids, usage and unit states are not). */
function addressView(t: Task): string {
  return JSON.stringify([ownerKey(t), t.metadata.ownerReferences, t.spec.machine, t.spec.ports, isLive(t), isTaskReady(t)]);
}
