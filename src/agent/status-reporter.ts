// Coalesces task status reports, like the kubelet's status manager, and sends them together:
// changes made in a burst go out as one request for all of the machine's tasks that changed
// (POST /machines/{machine}/taskstatus), each item the merge patch of its task's /status, guarded
// by the task's uid so a report never lands on a recreated namesake. One request is in flight at
// a time, so each task's reports arrive in order; changes made meanwhile wait for the next.
// A server without the batch route (an older one) gets one PATCH per task, as before.
import type { Client, Task } from '../client/client.js';
import { answerAlone, isRefusedWhole, isUnknownRoute } from '../client/errors.js';

type Status = Task['status'];

interface Pending {
  uid: string;
  name: string;
  namespace?: string;
  status: NonNullable<Status>;
}

interface ItemResult {
  code: number;
  message?: string;
}

/** Tasks in one request (the server takes up to 1,000). */
const MAX_BATCH = 500;

export class StatusReporter {
  private readonly pending = new Map<string, Pending>();
  private readonly idle: (() => void)[] = [];
  private sending = false;
  private scheduled = false;
  private closed = false;
  /** The server has no batch route: one PATCH per task. */
  private perTask = false;

  constructor(
    private readonly client: Client,
    /** The machine whose tasks these are (the batch route's). */
    private readonly machine: string,
    private readonly onError: (err: unknown, task: string) => void,
  ) {}

  /** Stops sending: queued reports are dropped, retries end. */
  close(): void {
    this.closed = true;
    this.pending.clear();
    this.settle();
  }

  /** Queues a status change for the task with this uid (named `name` in `namespace`). */
  report(uid: string, name: string, status: Status, namespace?: string): void {
    if (this.closed) return;
    let p = this.pending.get(uid);
    if (!p) this.pending.set(uid, (p = { uid, name, namespace, status: {} }));
    p.status = { ...p.status, ...status };
    this.schedule();
  }

  /** Resolves when every queued report has been sent (or dropped). */
  drained(): Promise<void> {
    if (this.pending.size === 0 && !this.sending) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Sends at the end of this turn of the event loop, so that one turn's changes share a request. */
  private schedule(): void {
    if (this.sending || this.scheduled || this.closed || this.pending.size === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.send();
    });
  }

  private async send(): Promise<void> {
    if (this.sending || this.closed || this.pending.size === 0) return;
    this.sending = true;
    for (let attempt = 0; this.pending.size > 0 && !this.closed; ) {
      const batch: Pending[] = [];
      for (const p of this.pending.values()) {
        batch.push(p);
        if (batch.length === MAX_BATCH) break;
      }
      for (const p of batch) this.pending.delete(p.uid);
      let results: ItemResult[];
      try {
        results = await this.post(batch);
      } catch (err) {
        this.onError(err, batch.length === 1 ? batch[0]!.name : `${batch.length} tasks`);
        results = batch.map(() => ({ code: 0 }));
      }
      let retry = false;
      batch.forEach((p, i) => {
        const { code, message } = results[i]!;
        if (code >= 200 && code < 300) return;
        // Gone, replaced, moved, or a terminal phase the server keeps: nothing left to tell.
        if (code === 404 || code === 412 || code === 409 || code === 422 || code === 403) {
          if (code === 422 || code === 403) this.onError(new Error(message ?? `status ${code}`), p.name);
          return;
        }
        retry = true;
        this.requeue(p);
      });
      if (!retry) attempt = 0;
      else await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt++, 5_000)));
    }
    this.sending = false;
    this.settle();
  }

  /** A report that did not land goes back in the queue, under any newer change to the same task. */
  private requeue(p: Pending): void {
    if (this.closed) return;
    const newer = this.pending.get(p.uid);
    this.pending.set(p.uid, newer ? { ...p, status: { ...p.status, ...newer.status } } : p);
  }

  /** One result per item; throws when the request as a whole failed (every item is retried). */
  private async post(batch: Pending[]): Promise<ItemResult[]> {
    if (!this.perTask) {
      try {
        const items = batch.map((p) => ({ ...(p.namespace ? { namespace: p.namespace } : {}), name: p.name, uid: p.uid, status: p.status }));
        const res = await this.client.request<{ items: ItemResult[] }>('POST', `/api/v1/machines/${encodeURIComponent(this.machine)}/taskstatus`, { body: { items } });
        return res.body.items;
      } catch (err) {
        // An older server, without the route: one PATCH per task from now on.
        if (isUnknownRoute(err)) this.perTask = true;
        // A report the server would not take whole (too big, say): this one task by task.
        else if (!isRefusedWhole(err)) throw err;
      }
    }
    return Promise.all(batch.map((p) => answerAlone(() => this.client.tasks.in(p.namespace).patch(p.name, { metadata: { uid: p.uid }, status: p.status }, { subresource: 'status' }), 200)));
  }

  private settle(): void {
    if (this.pending.size === 0 && !this.sending) for (const f of this.idle.splice(0)) f();
  }
}
