// Watch fan-out. Live events are published synchronously by the writer after each commit; a watch
// starting in the past first replays history (in a microtask, so the caller holds its handle),
// then joins the live stream. `nextRevision` per watcher rules out gaps and duplicates between the
// two: live publication skips a watcher until its replay has caught up.

import { isInRange } from './key-range.js';
import { CompactedError, StoreError, type Watch, type WatchEvent, type WatchListener, type WatchOptions } from './store.js';

export interface RevisionEvents {
  revision: number;
  events: WatchEvent[];
}

export interface WatchSource {
  /** Last committed revision. */
  currentRevision(): number;
  compactedRevision(): number;
  /** Events of revisions [from, to] touching [key, end), grouped by revision in order. */
  history(key: string, end: string | undefined, from: number, to: number): RevisionEvents[];
}

interface Watcher {
  readonly key: string;
  readonly end: string | undefined;
  readonly listener: WatchListener;
  readonly onError: ((err: Error) => void) | undefined;
  /** Lowest revision not yet delivered. */
  nextRevision: number;
  /** False while history is being replayed. */
  isLive: boolean;
  isClosed: boolean;
}

export interface Logger {
  warn(obj: unknown, msg?: string): void;
  info?(obj: unknown, msg?: string): void;
  debug?(obj: unknown, msg?: string): void;
}

// Replay reads history in windows of this many revisions to bound memory.
const REPLAY_WINDOW = 1000;

export class WatchHub {
  private readonly watchers = new Set<Watcher>();

  constructor(
    private readonly source: WatchSource,
    private readonly logger: Logger,
  ) {}

  add(key: string, options: WatchOptions, listener: WatchListener, onError?: (err: Error) => void): Watch {
    const start = options.startRevision && options.startRevision > 0 ? options.startRevision : 0;
    const current = this.source.currentRevision();
    const watcher: Watcher = {
      key,
      end: options.end,
      listener,
      onError,
      nextRevision: start > 0 ? start : current + 1,
      isLive: true,
      isClosed: false,
    };
    const handle: Watch = { close: () => this.remove(watcher) };
    const compacted = this.source.compactedRevision();
    if (start > 0 && start <= compacted) {
      queueMicrotask(() => this.fail(watcher, new CompactedError(start, compacted)));
      return handle;
    }
    this.watchers.add(watcher);
    if (watcher.nextRevision <= current) {
      watcher.isLive = false;
      queueMicrotask(() => this.catchUp(watcher));
    }
    return handle;
  }

  /** Delivers one committed revision to every live watcher whose range it touches. */
  publish(revision: number, events: WatchEvent[]): void {
    for (const watcher of this.watchers) {
      if (!watcher.isLive || watcher.isClosed || revision < watcher.nextRevision) continue;
      watcher.nextRevision = revision + 1;
      const matched = matching(watcher, events);
      if (matched.length > 0) this.deliver(watcher, matched, revision);
    }
  }

  /** Fails every watch (store closed): no listener runs afterwards. */
  closeAll(): void {
    for (const watcher of this.watchers) watcher.isClosed = true;
    this.watchers.clear();
  }

  private remove(watcher: Watcher): void {
    watcher.isClosed = true;
    this.watchers.delete(watcher);
  }

  private catchUp(watcher: Watcher): void {
    // Replay is synchronous: no commit can interleave, so `to` stays the current revision.
    const to = this.source.currentRevision();
    try {
      while (!watcher.isClosed && watcher.nextRevision <= to) {
        const compacted = this.source.compactedRevision();
        if (watcher.nextRevision <= compacted) {
          this.fail(watcher, new CompactedError(watcher.nextRevision, compacted));
          return;
        }
        const windowEnd = Math.min(to, watcher.nextRevision + REPLAY_WINDOW - 1);
        for (const { revision, events } of this.source.history(watcher.key, watcher.end, watcher.nextRevision, windowEnd)) {
          if (watcher.isClosed) return;
          this.deliver(watcher, events, revision);
        }
        watcher.nextRevision = windowEnd + 1;
      }
    } catch (err) {
      this.fail(watcher, err instanceof Error ? err : new StoreError(String(err)));
      return;
    }
    watcher.isLive = true;
  }

  private fail(watcher: Watcher, err: Error): void {
    if (watcher.isClosed) return;
    this.remove(watcher);
    watcher.onError?.(err);
  }

  private deliver(watcher: Watcher, events: WatchEvent[], revision: number): void {
    if (watcher.isClosed) return;
    try {
      watcher.listener(events, revision);
    } catch (err) {
      this.logger.warn({ err, key: watcher.key, revision }, 'watch listener threw; continuing');
    }
  }
}

function matching(watcher: Watcher, events: WatchEvent[]): WatchEvent[] {
  if (events.length === 1) return isInRange(events[0]!.kv.key, watcher.key, watcher.end) ? events : [];
  let matched: WatchEvent[] | undefined;
  for (let i = 0; i < events.length; i++) {
    const inRange = isInRange(events[i]!.kv.key, watcher.key, watcher.end);
    if (inRange && matched) matched.push(events[i]!);
    if (!inRange && !matched) matched = events.slice(0, i);
  }
  // Every event matched: share the array (listeners must not mutate it).
  return matched ?? events;
}
