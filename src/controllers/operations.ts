// Runs Operations: picks up Pending ones, moves them through Running to Succeeded or Failed,
// and records progress as it goes. Handlers are per operation type and must be idempotent:
// an operation left Running by a server restart is run again.
import type { AnyObject, OperationStatus } from '../model/index.js';
import type { State } from '../state/state.js';
import type { Subscription } from '../state/watch-cache.js';

export type Progress = (completed: number, total: number, message?: string) => Promise<void>;
/** What a handler may use besides progress: both optional to use, so simple handlers ignore them. */
export interface OperationContext {
  /** Merges fields into the operation's status (steps, progress) as the work goes. */
  report(patch: Partial<OperationStatus>): Promise<void>;
  /** Aborted when the controller closes (the server stops or loses leadership): stop soon, write nothing. */
  signal: AbortSignal;
}
export type OperationHandler = (op: AnyObject, progress: Progress, ctx: OperationContext) => Promise<unknown>;

export class OperationsController {
  private sub?: Subscription;
  private readonly running = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private closed = false;

  constructor(
    private readonly state: State,
    private readonly handlers: Record<string, OperationHandler>,
    private readonly onError: (err: unknown, op: string) => void = () => {},
  ) {}

  start(): void {
    const cache = this.state.cache('operations');
    this.sub = cache.subscribe(
      {},
      {
        send: (ev, type) => {
          if (type !== 'DELETED') this.consider(ev.entry.object);
        },
        bookmark: () => {},
      },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sub?.close();
    this.stopping.abort();
    await Promise.allSettled(this.running.values());
  }

  private consider(op: AnyObject): void {
    const phase = op.status?.phase ?? 'Pending';
    if ((phase !== 'Pending' && phase !== 'Running') || this.running.has(op.metadata.uid) || this.closed) return;
    this.running.set(
      op.metadata.uid,
      this.run(op).finally(() => this.running.delete(op.metadata.uid)),
    );
  }

  private async run(op: AnyObject): Promise<void> {
    const name = op.metadata.name;
    const ops = this.state.resources('operations');
    const pre = { uid: op.metadata.uid };
    const setStatus = async (patch: Record<string, unknown>) => {
      // Once closed, another leader owns the operation: a late write would fight it.
      if (this.closed) throw new Error('the operations controller stopped');
      await ops.update(name, (cur) => ({ ...cur, status: { ...cur.status, ...patch } }), pre);
    };
    try {
      const handler = this.handlers[op.spec.type as string];
      await setStatus({ phase: 'Running', startedAt: new Date().toISOString() });
      if (!handler) throw new Error(`no handler for operation type "${op.spec.type}"`);
      const result = await handler(
        op,
        async (completed, total, message) => {
          await setStatus({ progress: message === undefined ? { completed, total } : { completed, total, message } });
        },
        { report: (patch) => setStatus(patch), signal: this.stopping.signal },
      );
      await setStatus({ phase: 'Succeeded', result: result ?? null, finishedAt: new Date().toISOString() });
    } catch (err) {
      if (this.closed) return;
      try {
        await setStatus({ phase: 'Failed', error: (err as Error).message, finishedAt: new Date().toISOString() });
      } catch (writeErr) {
        this.onError(writeErr, name);
      }
    }
  }
}
