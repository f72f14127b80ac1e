// Coalesces task status reports, like the kubelet's status manager: changes to one task made in
// a burst go out as one merge-patch to /status, guarded by the task's uid so a report never
// lands on a recreated namesake. Reports for one task are sent in order, one at a time.
import type { Client, Task } from '../client/client.js';
import type { ApiError } from '../errors.js';

type Status = Task['status'];

interface Pending {
  name: string;
  namespace?: string;
  status: Status;
  sending: boolean;
}

export class StatusReporter {
  private readonly pending = new Map<string, Pending>();
  private readonly idle: (() => void)[] = [];

  constructor(
    private readonly client: Client,
    private readonly onError: (err: unknown, task: string) => void,
  ) {}

  private closed = false;

  /** Stops sending: queued reports are dropped, retries end. */
  close(): void {
    this.closed = true;
  }

  /** Queues a status change for the task with this uid (named `name` in `namespace`). */
  report(uid: string, name: string, status: Status, namespace?: string): void {
    if (this.closed) return;
    let p = this.pending.get(uid);
    if (!p) this.pending.set(uid, (p = { name, namespace, status: {}, sending: false }));
    p.status = { ...p.status, ...status };
    if (!p.sending) {
      p.sending = true;
      setImmediate(() => void this.flush(uid));
    }
  }

  /** Resolves when every queued report has been sent (or dropped). */
  drained(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private async flush(uid: string): Promise<void> {
    const p = this.pending.get(uid)!;
    for (let attempt = 0; Object.keys(p.status).length > 0 && !this.closed; attempt++) {
      const status = p.status;
      p.status = {};
      try {
        await this.client.tasks.in(p.namespace).patch(p.name, { metadata: { uid }, status }, { subresource: 'status' });
        attempt = 0;
      } catch (err) {
        const code = (err as ApiError).code;
        // Gone, replaced, or a terminal phase the server keeps: nothing left to tell.
        if (code === 404 || code === 412 || code === 409 || code === 422) {
          if (code === 422) this.onError(err, p.name);
          break;
        }
        this.onError(err, p.name);
        p.status = { ...status, ...p.status };
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 5_000)));
      }
    }
    this.pending.delete(uid);
    if (this.pending.size === 0) for (const f of this.idle.splice(0)) f();
  }
}
