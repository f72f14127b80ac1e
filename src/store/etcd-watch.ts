// Store watches on etcd watchers. The etcd3 client re-creates a watcher after a disconnect; this
// side adds what the Store interface promises and etcd does not: a watch from a compacted
// revision fails with CompactedError (checked by a read first, see start()), events at or below
// the last delivered revision are dropped (Debian's etcd 3.4.23 repeats some), events arrive
// grouped by revision, and a closed watch lets go of its etcd watcher even when etcd is gone.
import type { IKeyValue, Watcher } from 'etcd3';
import { num, toKeyValue } from './etcd-codec.js';
import { StoreUnavailableError, type CompactedError, type Watch, type WatchEvent, type WatchListener } from './store.js';

/** What a watch needs from its store (EtcdStore). */
export interface EtcdWatchHost {
  readonly isClosed: boolean;
  /** True when reads at `revision` fail because history was compacted. */
  isCompacted(revision: number): Promise<boolean>;
  createWatcher(key: string, end: string | undefined, startRevision: number): Watcher;
  /** A revision seen in a watch response: later implicit-start watches begin after it. */
  noteRevision(revision: number): void;
  compactionError(requested: number): Promise<CompactedError>;
  warn(obj: unknown, msg: string): void;
}

export interface EtcdWatchOptions {
  store: EtcdWatchHost;
  /** The key watched, or the start of the range [key, end). */
  key: string;
  end: string | undefined;
  startRevision: number;
  /** The caller gave no startRevision: the store chose it from the revisions it had seen. */
  isImplicitStart: boolean;
  listener: WatchListener;
  onError: ((err: Error) => void) | undefined;
  /** Called once the watch has let go of its etcd watcher. */
  onClose: () => void;
}

/** One Store watch on one etcd watcher; the etcd3 client re-creates it after a disconnect. */
export class EtcdWatch implements Watch {
  private watcher?: Watcher;
  private isClosed = false;
  private lastDelivered: number;
  private readonly store: EtcdWatchHost;
  private readonly key: string;
  private readonly end: string | undefined;
  private startRevision: number;
  private isImplicitStart: boolean;
  private readonly listener: WatchListener;
  private readonly onError: ((err: Error) => void) | undefined;
  private readonly onClose: () => void;

  constructor(options: EtcdWatchOptions) {
    this.store = options.store;
    this.key = options.key;
    this.end = options.end;
    this.startRevision = options.startRevision;
    this.isImplicitStart = options.isImplicitStart;
    this.listener = options.listener;
    this.onError = options.onError;
    this.onClose = options.onClose;
    this.lastDelivered = options.startRevision - 1;
  }

  private creating?: Promise<void>;

  start(): void {
    // etcd cancels a watch from a compacted revision at creation, and etcd3 1.1.2 then stalls
    // every later watch of the client (its attach queue never advances): check with a read first.
    this.creating = this.store
      .isCompacted(this.startRevision)
      .then((isCompacted) => {
        if (isCompacted) throw new Error('required revision has been compacted');
        if (this.isClosed) return;
        const watcher = this.store.createWatcher(this.key, this.end, this.startRevision);
        this.watcher = watcher;
        watcher.on('data', (res) => this.deliver(res.events ?? [], num(res.header?.revision)));
        watcher.on('error', (err) => void this.handleError(err));
      })
      .catch((err: unknown) => void this.handleError(err instanceof Error ? err : new Error(String(err))));
  }

  private async handleError(err: Error): Promise<void> {
    if (this.isClosed) return;
    if (/compacted/.test(err.message) || (await this.store.isCompacted(this.lastDelivered + 1).catch(() => false))) {
      if (this.isImplicitStart && this.lastDelivered < this.startRevision) {
        // Our guess of "now" was older than etcd's compaction: start from etcd's present instead.
        this.isImplicitStart = false;
        this.startRevision = 0;
        this.start();
        return;
      }
      this.fail(await this.store.compactionError(this.lastDelivered + 1));
      return;
    }
    this.fail(new StoreUnavailableError(`etcd watch on "${this.key}" failed: ${err.message}`));
  }

  fail(err: Error): void {
    if (this.isClosed) return;
    this.close();
    this.onError?.(err);
  }

  private deliver(events: Array<{ type: string | number; kv: IKeyValue; prev_kv?: IKeyValue }>, headerRevision: number): void {
    if (this.isClosed) return;
    this.store.noteRevision(headerRevision);
    let batch: WatchEvent[] = [];
    let batchRevision = 0;
    const flush = () => {
      if (batch.length === 0 || this.isClosed) return;
      const events = batch;
      batch = [];
      this.lastDelivered = batchRevision;
      try {
        this.listener(events, batchRevision);
      } catch (err) {
        this.store.warn({ err }, 'store watch listener threw');
      }
    };
    for (const ev of events) {
      const kv = toKeyValue(ev.kv);
      // Debian's etcd 3.4.23 can send an event twice (e.g. after a reconnect): drop repeats.
      if (kv.modRevision <= this.lastDelivered) continue;
      if (kv.modRevision !== batchRevision) {
        flush();
        batchRevision = kv.modRevision;
      }
      const isDelete = ev.type === 'Delete' || ev.type === 1 || ev.type === 'DELETE';
      const event: WatchEvent = isDelete
        ? { type: 'delete', kv: { ...kv, value: '', createRevision: 0, version: 0, lease: 0 } }
        : { type: 'put', kv };
      if (ev.prev_kv) event.prev = toKeyValue(ev.prev_kv);
      batch.push(event);
    }
    flush();
  }

  close(): void {
    void this.closeAndDetach();
  }

  private detached?: Promise<void>;

  /** Closes and waits (at most a second) until etcd3 has let go of the watcher. */
  closeAndDetach(): Promise<void> {
    this.isClosed = true;
    // Stays in the store's set until detached, so store.close() waits for it.
    this.detached ??= this.detach().finally(() => this.onClose());
    return this.detached;
  }

  private async detach(): Promise<void> {
    // The compaction check before creating is one bounded unary call.
    await this.creating?.catch(() => undefined);
    const watcher = this.watcher;
    this.watcher = undefined;
    if (!watcher || this.store.isClosed) return;
    let timer: NodeJS.Timeout | undefined;
    const isCancelled = await Promise.race([
      watcher.cancel().then(() => true, () => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 1_000))),
    ]);
    clearTimeout(timer);
    if (!isCancelled) {
      // etcd unreachable: drop it from the client's list ourselves so nothing re-dials for it.
      const manager = (watcher as unknown as { manager?: { watchers?: Watcher[] } }).manager;
      if (manager?.watchers) manager.watchers = manager.watchers.filter((w) => w !== watcher);
    }
  }
}
