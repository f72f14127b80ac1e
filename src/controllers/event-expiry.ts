// Event expiry: deletes events that have not happened again for their TTL (default 1 h). A sweep
// every few seconds deletes at most a chunk and yields between chunks, so a backlog of thousands
// of events never holds the writer or the event loop for long. An event bumped meanwhile is left
// alone: each delete is conditioned on the revision that was judged expired.
import type { Logger } from 'pino';
import { NotFound, PreconditionFailed } from '../errors.js';
import { EVENT_TTL_SECONDS, type Event } from '../model/index.js';
import type { State } from '../state/state.js';

export interface EventExpiryOptions {
  ttlSeconds?: number;
  intervalMs?: number;
  /** Deletes per chunk (default 100). */
  chunk?: number;
}

export class EventExpiryController {
  private timer?: NodeJS.Timeout;
  private sweeping = false;
  private closed = false;
  private readonly ttlMs: number;

  constructor(
    private readonly state: State,
    private readonly log: Logger,
    private readonly opts: EventExpiryOptions = {},
  ) {
    this.ttlMs = (opts.ttlSeconds ?? EVENT_TTL_SECONDS) * 1000;
  }

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.opts.intervalMs ?? 5_000);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
  }

  /** Deletes every expired event, a chunk at a time; a sweep still running when the next is due is not doubled. */
  async sweep(now = Date.now()): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const events = this.state.resources<Event>('events');
      // In no order: a sorted list of 200,000 events took a sort of their names every sweep.
      const expired: Event[] = [];
      for (const e of this.state.cache('events').values() as IterableIterator<Event>) if (Date.parse(e.spec.lastTimestamp) + this.ttlMs <= now) expired.push(e);
      const chunk = this.opts.chunk ?? 100;
      for (let i = 0; i < expired.length && !this.closed; i += chunk) {
        await Promise.all(
          expired.slice(i, i + chunk).map((e) =>
            events.delete(events.keyOf(e), { uid: e.metadata.uid, revision: e.metadata.revision }).catch((err: unknown) => {
              if (!(err instanceof NotFound || err instanceof PreconditionFailed)) throw err;
            }),
          ),
        );
        await new Promise((r) => setImmediate(r));
      }
    } catch (err) {
      this.log.error({ err }, 'deleting expired events failed');
    } finally {
      this.sweeping = false;
    }
  }
}
