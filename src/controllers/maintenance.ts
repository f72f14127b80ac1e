// Maintenance windows: at a machine's window start its service tasks move elsewhere (as a drain
// does) and its Maintenance condition turns True; the scheduler places nothing there while the
// window is open (see MachineView.schedulable); at the end the condition turns False and the
// machine takes tasks again. Unlike a drain, nothing is cordoned: the window alone decides, so
// the machine returns to service by itself. Each step is an event on the machine.
import type { Logger } from 'pino';
import { MAINTENANCE_CONDITION, maintenancePhase, type Machine } from '../model/index.js';
import type { EventRecorder } from '../events/recorder.js';
import type { State } from '../state/state.js';
import type { Subscription } from '../state/watch-cache.js';
import { conditionStatus, setCondition } from './conditions.js';
import { evictTasks } from './drain.js';
import { serverEventRecorder } from './event-sink.js';
import { WorkQueue } from './work-queue.js';

/** A far window's boundary is looked at again this often rather than with one very long timer (setTimeout caps at ~24 days). */
const RECHECK_MS = 3_600_000;

export class MaintenanceController {
  private readonly queue: WorkQueue;
  private readonly events: EventRecorder;
  private sub?: Subscription;

  constructor(
    private readonly state: State,
    private readonly log: Logger,
  ) {
    this.queue = new WorkQueue((names) => this.reconcile(names), (err) => log.error({ err }, 'maintenance pass failed'));
    this.events = serverEventRecorder(state, 'maintenance', log);
  }

  start(): void {
    this.sub = this.state.cache('machines').subscribe({}, { send: (ev, type) => type !== 'DELETED' && this.queue.add(ev.name), bookmark: () => {} });
  }

  async close(): Promise<void> {
    this.sub?.close();
    this.queue.close();
    this.events.close();
  }

  private async reconcile(names: string[]): Promise<void> {
    const machines = this.state.resources<Machine>('machines');
    for (const name of names) {
      const m = machines.get(name);
      if (!m) continue;
      const now = Date.now();
      const phase = maintenancePhase(m, now);
      const window = m.spec?.maintenance;
      const wasActive = conditionStatus(m.status?.conditions, MAINTENANCE_CONDITION) === 'True';
      if (phase === 'scheduled') this.queue.addAt(name, Math.min(Date.parse(window!.start!), now + RECHECK_MS));
      if (phase === 'active' && window?.end) this.queue.addAt(name, Math.min(Date.parse(window.end), now + RECHECK_MS));
      const ref = { kind: 'Machine', name };
      if (phase === 'active' && !wasActive) {
        const why = `maintenance${window?.reason ? ` (${window.reason})` : ''}`;
        this.events.record(ref, 'Normal', 'MaintenanceStarted', `${why} until ${window?.end ?? 'the window is removed'}: no new tasks are placed here`);
        // Evicted before the condition is written: a leader that dies in between drains again.
        const { evicted, kept } = await evictTasks(this.state, name, { force: false, why, events: this.events });
        this.log.info({ machine: name, evicted: evicted.length, kept: kept.length }, 'maintenance window opened: machine drained');
        await this.setCondition(name, 'True', 'MaintenanceWindow', `${why} until ${window?.end ?? 'the window is removed'}`);
      } else if (phase !== 'active' && wasActive) {
        this.events.record(ref, 'Normal', 'MaintenanceEnded', phase === 'over' ? `the maintenance window ended at ${window!.end}: tasks may be placed here again` : 'the maintenance window was removed: tasks may be placed here again');
        await this.setCondition(name, 'False', phase === 'scheduled' ? 'MaintenanceScheduled' : 'NoMaintenance', phase === 'scheduled' ? `maintenance from ${window!.start}` : 'not under maintenance');
      }
    }
  }

  private async setCondition(name: string, status: 'True' | 'False', reason: string, message: string): Promise<void> {
    await this.state.resources<Machine>('machines').update(name, (cur) => {
      const conditions = setCondition(cur.status?.conditions, { type: MAINTENANCE_CONDITION, status, reason, message });
      return conditions ? { ...cur, status: { ...cur.status, conditions } } : undefined;
    });
  }
}
