// Live collections: one watch per kind for the whole session, shared by every page, so a page
// shows the current state at once and follows each change. No polling: the API's watch stream,
// resumed from the last revision after a drop (src/client/watch.ts); a resume the server can no
// longer serve (410 Gone) starts over from the current state.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../errors.js';
import type { AnyObject } from '../model/meta.js';
import type { Api } from './api.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'failed';

export interface Snapshot<T> {
  items: ReadonlyMap<string, T>;
  state: ConnectionState;
  /** Why the stream is down (reconnecting) or was refused (failed). */
  problem?: string;
  /** The API's error when it refused the watch (a 403 shows as such). */
  error?: ApiError;
}

/** An object's key among its kind: namespace/name, or the name. */
export function keyOf(obj: AnyObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

/**
 * How long a collection no page shows keeps its stream: a browser opens at most six connections
 * to a server over HTTP/1.1, and every watch holds one, so a kind the user left is let go (after
 * a moment, so that moving between two pages of one kind keeps it).
 */
const IDLE_MS = 2_000;

export class LiveCollection<T extends AnyObject> {
  private snapshot: Snapshot<T> = { items: new Map(), state: 'connecting' };
  private readonly listeners = new Set<(s: Snapshot<T>) => void>();
  /** The running stream's stop, while one runs. */
  private running: AbortController | undefined;
  private idle: ReturnType<typeof setTimeout> | undefined;
  private pending = false;

  constructor(
    private readonly api: Api,
    readonly plural: string,
    private readonly signal: AbortSignal,
    /** Told of a refused credential (401): the session is over. */
    private readonly onUnauthorized: () => void,
  ) {}

  current(): Snapshot<T> {
    return this.snapshot;
  }

  subscribe(listener: (s: Snapshot<T>) => void): () => void {
    this.listeners.add(listener);
    clearTimeout(this.idle);
    if (!this.running && !this.signal.aborted) {
      const running = new AbortController();
      this.running = running;
      this.signal.addEventListener('abort', () => running.abort(), { once: true });
      void this.run(running.signal).finally(() => this.running === running && (this.running = undefined));
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size) return;
      clearTimeout(this.idle);
      this.idle = setTimeout(() => {
        const running = this.running;
        this.running = undefined;
        running?.abort();
        this.snapshot = { ...this.snapshot, state: 'connecting', problem: undefined };
      }, IDLE_MS);
    };
  }

  private set(next: Partial<Snapshot<T>>): void {
    this.snapshot = { ...this.snapshot, ...next };
    // A burst of events (the initial state, a scale to 50) renders once per frame.
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      for (const l of this.listeners) l(this.snapshot);
    });
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let fresh: Map<string, T> | undefined = new Map();
      let items = new Map(this.snapshot.items);
      try {
        const events = this.api.watch<T>(this.plural, {
          signal,
          onDisconnect: (problem) => this.set({ state: 'reconnecting', problem }),
          onReconnect: () => this.set({ state: 'live', problem: undefined }),
        });
        for await (const ev of events) {
          if (fresh) {
            // The current state, up to the BOOKMARK that ends it, replaces what was shown.
            if (ev.type === 'BOOKMARK') {
              items = fresh;
              fresh = undefined;
              this.set({ items: new Map(items), state: 'live', problem: undefined, error: undefined });
            } else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') fresh.set(keyOf(ev.object), ev.object);
            continue;
          }
          if (ev.type === 'BOOKMARK') continue;
          if (ev.type === 'DELETED') items.delete(keyOf(ev.object));
          else items.set(keyOf(ev.object), ev.object);
          this.set({ items: new Map(items) });
        }
        return;
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiError && err.reason === 'Gone') continue;
        if (err instanceof ApiError && err.reason === 'Unauthorized') this.onUnauthorized();
        this.set({ state: 'failed', problem: (err as Error).message, ...(err instanceof ApiError ? { error: err } : {}) });
        return;
      }
    }
  }
}

/** The collection's current snapshot, re-rendering on each change. */
export function useLive<T extends AnyObject>(collection: LiveCollection<T> | undefined): Snapshot<T> | undefined {
  const [snapshot, setSnapshot] = useState(collection?.current());
  useEffect(() => {
    if (!collection) return;
    setSnapshot(collection.current());
    return collection.subscribe(setSnapshot);
  }, [collection]);
  return snapshot;
}
