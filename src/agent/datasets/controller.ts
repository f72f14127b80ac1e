// The agent's dataset controller: a list + watch of the datasets in every namespace (each
// dataset's worker decides what this machine does about it), the backends this machine offers,
// and a periodic size refresh of the datasets it holds. The data lives under
// <dataDir>/datasets; <dataDir>/datasets/.staging holds only what is not live, and is emptied
// when the agent starts (a move that was under way starts again).
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Client } from '../../client/client.js';
import { ApiError } from '../../errors.js';
import type { Dataset, DatasetBackend, Machine } from '../../model/index.js';
import type { DatasetStore } from './backend.js';
import { contentSource, type ContentSource } from './content-source.js';
import { DirectoryStore } from './directory.js';
import { datasetKey, LocalDatasets } from './local-datasets.js';
import { isMountPoint, LoopbackStore, loopbackUnavailable } from './loopback.js';
import { DatasetStatusWriter } from './status-writes.js';
import { DatasetWorker } from './worker.js';

export interface DatasetControllerOptions {
  machine: string;
  client: Client;
  dataDir: string;
  log: Logger;
  /** How often the sizes of the datasets held here are measured again (default 30 s). */
  sizeRefreshMs?: number;
  /** Test-only: pace sends to this many bytes a second (DROVER_TEST_DATASET_SEND_BPS), so a test can kill something mid-move. */
  sendBytesPerSecond?: number;
}

/** The Machine condition that says whether this machine offers loopback datasets. */
export const LOOPBACK_CONDITION = 'LoopbackDatasets';

export class DatasetController {
  readonly local: LocalDatasets;
  readonly content: ContentSource;
  private readonly root: string;
  private readonly stores: Partial<Record<DatasetBackend, DatasetStore>> = {};
  private loopbackProblem: string | undefined;
  private readonly workers = new Map<string, DatasetWorker>();
  private readonly abort = new AbortController();
  private readonly writer: DatasetStatusWriter;
  private refresh?: NodeJS.Timeout;
  private watching?: Promise<void>;
  /** Set while paused: the current stream's abort, and what resume() resolves. */
  private paused: { stream: AbortController; resumed: Promise<void>; resume: () => void } | undefined;
  private stream = new AbortController();

  constructor(private readonly opts: DatasetControllerOptions) {
    this.root = join(opts.dataDir, 'datasets');
    this.local = new LocalDatasets(opts.machine);
    this.writer = new DatasetStatusWriter(opts.client, this.local);
    this.content = contentSource(opts.machine, this.local, this.stores, opts.sendBytesPerSecond);
    // A task run that used a dataset ended: a move or delete waiting on it may go on.
    this.local.onRelease((key) => this.workers.get(key)?.kick());
  }

  /** The backends this machine offers (known after prepare()). */
  get backends(): DatasetBackend[] {
    return Object.keys(this.stores) as DatasetBackend[];
  }

  /** Empties staging and finds out once whether loop mounts work here. Before registration: it says which backends the machine offers. */
  async prepare(): Promise<void> {
    await mkdir(join(this.root, '.staging'), { recursive: true });
    await this.emptyStaging();
    this.stores.directory = new DirectoryStore(this.root);
    this.loopbackProblem = await loopbackUnavailable(this.root);
    if (this.loopbackProblem) this.opts.log.warn({ reason: this.loopbackProblem }, 'this machine cannot loop-mount: it offers directory datasets only');
    else this.stores.loopback = new LoopbackStore(this.root);
  }

  /** Says on the Machine whether loopback datasets work here, then converges on the datasets. */
  async start(): Promise<void> {
    await this.reportLoopback().catch((err: unknown) => this.opts.log.warn({ err: String(err) }, 'reporting the loopback condition failed'));
    this.watching = this.watch();
    this.refresh = setInterval(() => {
      for (const key of this.local.keys()) if (this.local.get(key)?.status?.machine === this.opts.machine) this.workers.get(key)?.kick({ measure: true });
    }, this.opts.sizeRefreshMs ?? 30_000);
    this.refresh.unref();
  }

  /**
   * Acts on nothing until resume(): the agent found its server answering for another cluster
   * (an empty or restored store), whose datasets must not create, move or delete anything here.
   */
  pause(): void {
    if (this.paused) return;
    let resume!: () => void;
    const resumed = new Promise<void>((r) => (resume = r));
    this.paused = { stream: this.stream, resumed, resume };
    this.stream.abort();
    for (const w of this.workers.values()) w.pause();
  }

  /** Lists again and converges: the server is this agent's cluster again. */
  resume(): void {
    const p = this.paused;
    this.paused = undefined;
    p?.resume();
  }

  async close(): Promise<void> {
    clearInterval(this.refresh);
    this.abort.abort();
    this.resume();
    await this.watching;
    await Promise.all([...this.workers.values()].map((w) => w.close()));
  }

  private worker(key: string): DatasetWorker {
    let w = this.workers.get(key);
    if (!w) {
      const ctx = { paused: () => this.paused !== undefined, machine: this.opts.machine, client: this.opts.client, local: this.local, writer: this.writer, stores: this.stores, loopbackProblem: this.loopbackProblem, log: this.opts.log };
      this.workers.set(key, (w = new DatasetWorker(ctx, key)));
    }
    return w;
  }

  /** List + watch of every dataset; a resume the server cannot serve (410) lists again. */
  private async watch(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      if (this.paused) {
        await this.paused.resumed;
        continue;
      }
      this.stream = new AbortController();
      const streamSignal = AbortSignal.any([signal, this.stream.signal]);
      let initial: Dataset[] | undefined = [];
      try {
        for await (const ev of this.opts.client.datasets.watch({ signal: streamSignal })) {
          if (this.paused) break;
          if (ev.type === 'BOOKMARK') {
            if (initial) {
              const listed = new Set(initial.map(datasetKey));
              for (const key of this.local.keys()) if (!listed.has(key)) this.local.delete(key);
              for (const ds of initial) this.local.set(ds);
              this.local.synced = true;
              initial = undefined;
              for (const key of new Set([...listed, ...this.workers.keys()])) this.worker(key).kick();
            }
            continue;
          }
          const ds = ev.object as Dataset;
          if (initial) {
            initial.push(ds);
            continue;
          }
          if (ev.type === 'DELETED') this.local.delete(datasetKey(ds));
          else this.local.set(ds);
          this.worker(datasetKey(ds)).kick();
        }
      } catch (err) {
        if (signal.aborted) return;
        if (this.paused) continue;
        if (!(err instanceof ApiError && err.code === 410)) {
          this.opts.log.warn({ err: String(err) }, 'dataset watch failed; listing again');
          await new Promise((r) => setTimeout(r, 500 * (0.5 + Math.random())));
        }
      }
    }
  }

  /** Nothing in staging is live: a copy half-received when the agent stopped goes (its mount first). */
  private async emptyStaging(): Promise<void> {
    const staging = join(this.root, '.staging');
    const loop = new LoopbackStore(this.root);
    for (const name of await readdir(staging)) {
      if (await isMountPoint(join(staging, name))) await loop.discardStaging(name);
      await rm(join(staging, name), { recursive: true, force: true });
    }
  }

  /** The LoopbackDatasets condition on this Machine (read-modify-write on its revision: other writers keep theirs). */
  private async reportLoopback(): Promise<void> {
    const machines = this.opts.client.machines;
    for (let attempt = 0; attempt < 5; attempt++) {
      const m = await machines.get(this.opts.machine);
      const condition = this.loopbackProblem
        ? { type: LOOPBACK_CONDITION, status: 'False' as const, reason: 'LoopMountUnavailable', message: `loopback datasets need loop mounts of ext4 images, which fail here: ${this.loopbackProblem}` }
        : { type: LOOPBACK_CONDITION, status: 'True' as const, reason: 'LoopMountWorks', message: 'ext4 images can be loop-mounted here' };
      const had = m.status?.conditions?.find((c) => c.type === LOOPBACK_CONDITION);
      if (had?.status === condition.status && had.message === condition.message) return;
      const conditions: NonNullable<Machine['status']>['conditions'] = [...(m.status?.conditions ?? []).filter((c) => c.type !== LOOPBACK_CONDITION), { ...condition, lastTransitionTime: new Date().toISOString() }];
      try {
        await machines.patchStatus(this.opts.machine, { conditions }, { ifMatch: m.metadata.revision });
        return;
      } catch (err) {
        if ((err as { code?: number }).code !== 412) throw err;
      }
    }
  }
}
