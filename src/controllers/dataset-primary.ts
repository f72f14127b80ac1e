// Default primaries: a dataset created without spec.primary is given one (scheduler/
// dataset-primary.ts chooses), so `drover dataset create data` just works. One that no machine
// can hold says why in its status (reason Unplaced) and is placed as soon as a machine can.
import type { Logger } from 'pino';
import { NotFound, PreconditionFailed } from '../errors.js';
import { maintenancePhase, type Dataset, type Machine } from '../model/index.js';
import { choosePrimary, type DatasetHost } from '../scheduler/index.js';
import type { Liveness } from '../state/liveness.js';
import type { State } from '../state/state.js';
import type { Subscription } from '../state/watch-cache.js';
import { WorkQueue } from './work-queue.js';

export const UNPLACED = 'Unplaced';

export class DatasetPrimaryController {
  private readonly queue: WorkQueue;
  private readonly subs: Subscription[] = [];
  private unlisten?: () => void;

  constructor(
    private readonly state: State,
    private readonly liveness: Liveness,
    private readonly log: Logger,
  ) {
    this.queue = new WorkQueue(() => this.pass(), (err) => log.error({ err }, 'dataset primary pass failed'));
  }

  start(): void {
    const noop = () => {};
    this.subs.push(
      this.state.cache('datasets').subscribe({}, { send: (ev, type) => type !== 'DELETED' && needsPrimary(ev.entry.object as Dataset) && this.queue.add('*'), bookmark: noop }),
      // A machine that registers, becomes ready or starts offering a backend may take the waiting ones.
      this.state.cache('machines').subscribe({}, { send: () => this.queue.add('*'), bookmark: noop }),
    );
    this.unlisten = this.liveness.onChange(() => this.queue.add('*'));
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.close();
    this.unlisten?.();
    this.queue.close();
  }

  private async pass(): Promise<void> {
    const datasets = this.state.resources<Dataset>('datasets');
    const waiting = datasets.list().filter(needsPrimary);
    if (waiting.length === 0) return;
    const counts = new Map<string, number>();
    for (const ds of datasets.list()) if (ds.spec.primary && !ds.spec.deleted) counts.set(ds.spec.primary, (counts.get(ds.spec.primary) ?? 0) + 1);
    const hosts: DatasetHost[] = this.state
      .resources<Machine>('machines')
      .list()
      .map((m) => ({
        name: m.metadata.name,
        schedulable: !m.spec?.unschedulable && !m.metadata.deletionTimestamp && this.liveness.isAlive(m.metadata.name) && maintenancePhase(m, Date.now()) !== 'active',
        backends: m.status?.datasetBackends,
        datasets: counts.get(m.metadata.name) ?? 0,
      }));
    // Oldest first, so a burst of creates spreads in the order they came.
    waiting.sort((a, b) => a.metadata.createdAt.localeCompare(b.metadata.createdAt) || a.metadata.name.localeCompare(b.metadata.name));
    for (const ds of waiting) {
      const choice = choosePrimary(ds.spec.backend ?? 'directory', hosts);
      if ('machine' in choice) hosts.find((h) => h.name === choice.machine)!.datasets++;
      await datasets
        .update(datasets.keyOf(ds), (cur) => ('machine' in choice ? placed(cur, choice.machine) : unplaced(cur, choice.reason)), { uid: ds.metadata.uid })
        .then(() => 'machine' in choice && this.log.info({ dataset: datasets.keyOf(ds), machine: choice.machine }, 'dataset given a primary'))
        .catch((err) => {
          if (!(err instanceof NotFound || err instanceof PreconditionFailed)) this.log.warn({ err: String(err), dataset: ds.metadata.name }, 'writing a default primary failed');
        });
    }
  }
}

function needsPrimary(ds: Dataset): boolean {
  return !ds.spec.primary && !ds.spec.deleted && !ds.metadata.deletionTimestamp;
}

function placed(cur: Dataset, machine: string): Dataset | undefined {
  if (!needsPrimary(cur)) return undefined;
  const status = { ...cur.status };
  if (status.reason === UNPLACED) {
    delete status.reason;
    delete status.message;
  }
  return { ...cur, spec: { ...cur.spec, primary: machine }, status };
}

function unplaced(cur: Dataset, why: string): Dataset | undefined {
  if (!needsPrimary(cur)) return undefined;
  const message = `${why}; it gets a primary as soon as a machine can hold it (or name one: drover dataset move ${cur.metadata.name} MACHINE)`;
  if (cur.status?.reason === UNPLACED && cur.status.message === message) return undefined;
  return { ...cur, status: { ...cur.status, phase: cur.status?.phase ?? 'Pending', reason: UNPLACED, message } };
}
