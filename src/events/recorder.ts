// Records Events for controllers and agents: fire and forget. An event never blocks or fails the
// work it describes — a write that fails is logged and dropped. A repeat (same object, reason and
// message: the same name) bumps the count of the one Event; repeats that come while a write of
// that event is in flight are folded into the next write, so a burst costs two writes, not one each.
// At most `maxInFlight` events are written at once, like client-go's broadcaster (one worker): a
// burst of task starts queues small records, not thousands of concurrent requests (an agent fleet
// held ~19k of them, with their promises and buffers, and spent a third of its CPU in GC).
import { API_VERSION, DEFAULT_NAMESPACE, EVENT_MESSAGE_MAX, eventName, type Event, type EventSource, type EventType, type InvolvedObject } from '../model/index.js';

/** Where events are written: through the API (agents) or the state (the server's controllers). */
export interface EventSink {
  /** Creates it; resolves false when one by that name exists already. */
  create(event: Event): Promise<boolean>;
  /** Changes the stored one (read, `mutate`, write, retried on a concurrent write); false when it is gone. */
  update(namespace: string, name: string, mutate: (current: Event) => Event): Promise<boolean>;
}

export interface RecorderOptions {
  sink: EventSink;
  source: EventSource;
  /** Called with a write that failed; the event is dropped. */
  onError(err: unknown, event: string): void;
  now?: () => Date;
  /** Events being written at once (default 16); the others wait, their repeats still counted. */
  maxInFlight?: number;
}

interface Pending {
  event: Event;
  /** Occurrences not yet written. */
  count: number;
  last: string;
  busy: boolean;
}

export class EventRecorder {
  private readonly pending = new Map<string, Pending>();
  private readonly idle: (() => void)[] = [];
  private readonly known = new Set<string>();
  /** Keys waiting for a write slot, in the order they were recorded, from `waitingHead` on (shift() on a long array copies it). */
  private waiting: string[] = [];
  private waitingHead = 0;
  private inFlight = 0;
  private closed = false;

  constructor(private readonly opts: RecorderOptions) {}

  /** Records that `reason` happened to `involved` (in the involved object's namespace). */
  record(involved: InvolvedObject, type: EventType, reason: string, message: string): void {
    if (this.closed) return;
    const text = message.length > EVENT_MESSAGE_MAX ? `${message.slice(0, EVENT_MESSAGE_MAX - 1)}…` : message;
    const namespace = involved.namespace ?? DEFAULT_NAMESPACE;
    const name = eventName(involved, reason, text);
    const key = `${namespace}/${name}`;
    const now = (this.opts.now?.() ?? new Date()).toISOString();
    const p = this.pending.get(key);
    if (p) {
      p.count++;
      p.last = now;
      return;
    }
    const event: Event = {
      apiVersion: API_VERSION,
      kind: 'Event',
      metadata: { name, namespace } as Event['metadata'],
      spec: { involvedObject: { ...involved, namespace }, reason, message: text, type, count: 1, firstTimestamp: now, lastTimestamp: now, source: this.opts.source },
      status: {},
    };
    this.pending.set(key, { event, count: 1, last: now, busy: false });
    if (this.inFlight < (this.opts.maxInFlight ?? 16)) void this.flush(key);
    else this.waiting.push(key);
  }

  /** Resolves when every recorded event has been written (or dropped): tests, shutdown. */
  drained(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const key of this.waiting.slice(this.waitingHead)) this.pending.delete(key);
    this.waiting = [];
    this.waitingHead = 0;
    this.settle();
  }

  private async flush(key: string): Promise<void> {
    this.inFlight++;
    const p = this.pending.get(key)!;
    const { sink } = this.opts;
    const { namespace, name } = p.event.metadata;
    let exists = this.known.has(key);
    try {
      for (let attempt = 0; p.count > 0 && !this.closed && attempt < 5; attempt++) {
        const count = p.count;
        const last = p.last;
        p.count = 0;
        if (!exists && (await sink.create({ ...p.event, spec: { ...p.event.spec, count, lastTimestamp: last } }))) {
          exists = true;
          attempt = 0;
          continue;
        }
        exists = true;
        if (await sink.update(namespace!, name, (cur) => ({ ...cur, spec: { ...cur.spec, count: cur.spec.count + count, lastTimestamp: last } }))) {
          attempt = 0;
          continue;
        }
        // Deleted meanwhile (expired): create it again.
        exists = false;
        p.count += count;
      }
      if (exists) this.remember(key);
    } catch (err) {
      this.known.delete(key);
      this.opts.onError(err, `${p.event.spec.reason} ${p.event.spec.involvedObject.kind.toLowerCase()}/${p.event.spec.involvedObject.name}`);
    } finally {
      this.pending.delete(key);
      this.inFlight--;
      const next = this.nextWaiting();
      if (next !== undefined) void this.flush(next);
      else this.settle();
    }
  }

  /** Nothing left to write: whoever waits for that is told. */
  private settle(): void {
    if (this.pending.size === 0) for (const f of this.idle.splice(0)) f();
  }

  private nextWaiting(): string | undefined {
    if (this.waitingHead === this.waiting.length) return undefined;
    const key = this.waiting[this.waitingHead++];
    if (this.waitingHead === this.waiting.length || this.waitingHead > 1_024) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
    return key;
  }

  /** Events known to exist: a repeat goes straight to an update (bounded; the oldest are forgotten first). */
  private remember(key: string): void {
    this.known.delete(key);
    this.known.add(key);
    if (this.known.size > KNOWN_MAX) this.known.delete(this.known.values().next().value!);
  }
}

const KNOWN_MAX = 1_000;
