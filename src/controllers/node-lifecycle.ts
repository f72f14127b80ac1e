// Node lifecycle: a machine whose heartbeats stop is NotReady after the grace period, and its
// tasks are marked Lost (terminal) so the service controller replaces them elsewhere — those a
// service owns. A task nothing would replace (a one-off task) is Unknown instead: it may well
// still run there, and when the machine is back its agent reports what really happened; only
// tasks that were replaced are stopped on return. Liveness is
// judged by this controller's own clock: after it starts, every machine gets a full grace period;
// and when most machines fail at once it stops evicting (a partition, not a fleet of dead machines).
import type { Logger } from 'pino';
import { AGENT_FINALIZER, controllerOf, DEFAULT_NAMESPACE, TERMINAL_PHASES as TERMINAL, type Machine, type Task } from '../model/index.js';
import type { EventRecorder } from '../events/recorder.js';
import type { Liveness } from '../state/liveness.js';
import type { State } from '../state/state.js';
import type { Subscription } from '../state/watch-cache.js';
import { conditionStatus, setCondition } from './conditions.js';
import { serverEventRecorder } from './event-sink.js';
import { WorkQueue } from './work-queue.js';

export interface NodeLifecycleOptions {
  graceMs: number;
  /** Fraction of machines NotReady above which evictions pause (default 0.55). */
  partitionFraction?: number;
}

export class NodeLifecycleController {
  private readonly startedAt = Date.now();
  private readonly queue: WorkQueue;
  private sub?: Subscription;
  private unlisten?: () => void;
  private timer?: NodeJS.Timeout;
  private partitioned = false;
  private readonly events: EventRecorder;

  constructor(
    private readonly state: State,
    private readonly liveness: Liveness,
    private readonly opts: NodeLifecycleOptions,
    private readonly log: Logger,
  ) {
    this.queue = new WorkQueue((names) => this.reconcile(names), (err) => log.error({ err }, 'node lifecycle pass failed'));
    this.events = serverEventRecorder(state, 'node-lifecycle', log);
  }

  start(): void {
    this.sub = this.state.cache('machines').subscribe(
      {},
      { send: (ev, type) => type !== 'DELETED' && this.queue.add(ev.name), bookmark: () => {} },
    );
    this.unlisten = this.liveness.onChange((m) => this.queue.add(m));
    // Re-check everyone periodically: grace periods end without any event.
    this.timer = setInterval(() => this.all(), Math.max(250, this.opts.graceMs / 4));
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.events.close();
    this.sub?.close();
    this.unlisten?.();
    this.queue.close();
  }

  private all(): void {
    for (const m of this.state.resources<Machine>('machines').list()) this.queue.add(m.metadata.name);
  }

  private async reconcile(names: string[]): Promise<void> {
    const machines = this.state.resources<Machine>('machines');
    const inGrace = Date.now() - this.startedAt < this.opts.graceMs;
    for (const name of names) {
      const m = machines.get(name);
      if (!m) continue;
      const alive = this.liveness.isAlive(name);
      if (alive) {
        await this.setReady(name, 'True', 'HeartbeatReceived', 'the agent is posting heartbeats');
        continue;
      }
      if (inGrace) continue; // every machine gets a full grace period after this controller starts
      await this.setReady(name, 'False', 'HeartbeatLost', `no heartbeat for over ${Math.round(this.opts.graceMs / 1000)}s`);
      await this.evict(name);
    }
  }

  private async setReady(name: string, status: 'True' | 'False', reason: string, message: string): Promise<void> {
    const machines = this.state.resources<Machine>('machines');
    const was = conditionStatus(machines.get(name)?.status?.conditions, 'Ready');
    // A machine seen for the first time is not news; a turn either way is.
    if (was !== status && (was !== 'Unknown' || status === 'False')) {
      this.events.record({ kind: 'Machine', name }, status === 'True' ? 'Normal' : 'Warning', status === 'True' ? 'NodeReady' : 'NodeNotReady', message);
    }
    await machines.update(name, (cur) => {
      const conditions = setCondition(cur.status?.conditions, { type: 'Ready', status, reason, message });
      return conditions ? { ...cur, status: { ...cur.status, conditions } } : undefined;
    });
  }

  private async evict(machine: string): Promise<void> {
    const tasks = this.state.resources<Task>('tasks');
    const victims = tasks.list({ fields: [{ field: 'spec.machine', op: '=', value: machine }] }).filter((t) => !TERMINAL.has(t.status?.phase ?? ''));
    if (victims.length === 0) return;
    const all = this.state.resources<Machine>('machines').list();
    const notReady = all.filter((m) => conditionStatus(m.status?.conditions, 'Ready') === 'False').length;
    const partitioned = notReady > 1 && notReady / all.length > (this.opts.partitionFraction ?? 0.55);
    if (partitioned !== this.partitioned) {
      this.partitioned = partitioned;
      if (partitioned) this.log.warn({ notReady, machines: all.length }, 'most machines are NotReady at once: not evicting (network partition?)');
      else this.log.warn({ notReady, machines: all.length }, 'most machines are Ready again: evictions resume');
    }
    if (partitioned) return;
    const now = new Date().toISOString();
    const lost = (cur: Task): Task => ({
      ...cur,
      metadata: { ...cur.metadata, finalizers: cur.metadata.finalizers?.filter((f) => f !== AGENT_FINALIZER) },
      status: { ...cur.status, phase: 'Lost', reason: 'MachineLost', message: `machine ${machine} stopped sending heartbeats`, pid: null, finishedAt: now },
    });
    const unknown = (cur: Task): Task => ({
      ...cur,
      status: { ...cur.status, phase: 'Unknown', reason: 'MachineUnreachable', message: `machine ${machine} stopped sending heartbeats at ${now}; the task may still be running there` },
    });
    let replaced = 0;
    await Promise.all(
      victims.map((t) => {
        const replaceable = controllerOf(t) !== undefined;
        if (replaceable) replaced++;
        else if (t.status?.phase === 'Unknown') return undefined;
        const involved = { kind: 'Task', name: t.metadata.name, namespace: t.metadata.namespace ?? DEFAULT_NAMESPACE, uid: t.metadata.uid };
        if (replaceable) this.events.record(involved, 'Warning', 'TaskLost', `machine ${machine} stopped sending heartbeats: the task is Lost and its service replaces it`);
        else this.events.record(involved, 'Warning', 'TaskUnknown', `machine ${machine} stopped sending heartbeats: the task may still run there`);
        return tasks
          .update(tasks.keyOf(t), (cur) => (TERMINAL.has(cur.status?.phase ?? '') || cur.spec.machine !== machine ? undefined : replaceable ? lost(cur) : unknown(cur)), { uid: t.metadata.uid })
          .catch((err) => this.log.warn({ err: String(err), task: t.metadata.name }, 'marking a task of a lost machine failed'));
      }),
    );
    this.log.warn({ machine, replaced, unknown: victims.length - replaced }, 'machine lost: the tasks services own are Lost and replaced; the others are Unknown until it is back');
  }
}
