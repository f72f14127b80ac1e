// An agent's event creates, sent together: the creates made in one turn of the event loop go out
// as one POST /api/v1/machines/{machine}/events, each answered on its own (201 created, 409 one
// by that name exists). One request is in flight at a time; creates made meanwhile wait for the
// next. A server without the route (an older one) gets one POST per event, as before; a report
// it would not take whole (400, 413) is sent event by event.
import type { Client, Event } from '../client/client.js';
import { answerAlone, errorFromResponse, isRefusedWhole, isUnknownRoute } from '../client/errors.js';

interface Queued {
  event: Event;
  resolve(created: boolean): void;
  reject(err: unknown): void;
}

interface ItemResult {
  code: number;
  reason?: string;
  message?: string;
}

/** Events in one request (the server takes up to 1,000). */
const MAX_BATCH = 500;

export class EventBatch {
  private queue: Queued[] = [];
  private scheduled = false;
  private sending = false;
  /** The server has no batch route: one POST per event. */
  private perEvent = false;

  constructor(
    private readonly client: Client,
    /** The machine whose agent records these (the batch route's). */
    private readonly machine: string,
  ) {}

  /** Creates the event; resolves false when one by that name exists already. */
  create(event: Event): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.sending || this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.send();
    });
  }

  private async send(): Promise<void> {
    this.sending = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      let results: ItemResult[];
      try {
        results = await this.post(batch.map((q) => q.event));
      } catch (err) {
        for (const q of batch) q.reject(err);
        continue;
      }
      batch.forEach((q, i) => {
        const { code, reason, message } = results[i] ?? { code: 500, message: 'the server answered no result for this event' };
        if (code >= 200 && code < 300) q.resolve(true);
        else if (code === 409) q.resolve(false);
        else q.reject(errorFromResponse(code, JSON.stringify({ error: { code, reason, message: message ?? `status ${code}` } })));
      });
    }
    this.sending = false;
  }

  /** One result per event; throws when the request as a whole failed. */
  private async post(events: Event[]): Promise<ItemResult[]> {
    if (!this.perEvent) {
      try {
        const res = await this.client.request<{ items: ItemResult[] }>('POST', `/api/v1/machines/${encodeURIComponent(this.machine)}/events`, { body: { items: events } });
        return res.body.items;
      } catch (err) {
        // An older server, without the route: one POST per event from now on.
        if (isUnknownRoute(err)) this.perEvent = true;
        // A report the server would not take whole (too big, say): this one event by event.
        else if (!isRefusedWhole(err)) throw err;
      }
    }
    return Promise.all(events.map((event) => answerAlone(() => this.client.events.in(event.metadata.namespace).create(event), 201)));
  }
}
