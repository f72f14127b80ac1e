// How etcd and gRPC failures become the Store's error types. etcd states most refusals only in
// the message text (the etcd3 client turns few of them into classes), so they are recognised by
// it. The revisions a CompactedError or FutureRevisionError carries are asked of the store only
// when such an error occurs.
import type { CallDeadline } from './etcd-deadline.js';
import { CompactedError, FutureRevisionError, LeaseNotFoundError, StoreError, StoreUnavailableError } from './store.js';

/** etcd's default --max-txn-ops: a larger transaction cannot stay atomic, so it is refused. */
export const MAX_TXN_OPS = 128;

/** What a failed call was about: the revision it read at, the lease it used. */
export interface ErrorContext {
  revision?: number;
  lease?: number;
}

/** What the mapping needs from the store, asked only for the errors that carry it. */
export interface RevisionSource {
  isClosed(): boolean;
  compactedRevision(): Promise<number>;
  currentRevision(): Promise<number>;
}

/** How the store's parts (compaction, leases) call etcd: refused once closed, errors mapped. */
export interface StoreCalls {
  /** Throws if the store is closed. */
  checkOpen(): void;
  /** Runs one unary call with the store's deadline (pass `options` to etcd3): refused when the store is closed, errors mapped. */
  call<T>(fn: (options: CallDeadline) => Promise<T>, context?: ErrorContext): Promise<T>;
  mapError(err: unknown, context: ErrorContext): Promise<Error>;
}

export function grpcMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** etcd refused a read or watch because history at its revision has been compacted. */
export function isRevisionCompacted(err: unknown): boolean {
  return /required revision has been compacted/.test(grpcMessage(err));
}

/** etcd refused a read or watch at a revision it has not reached yet. */
export function isRevisionInFuture(err: unknown): boolean {
  return /required revision is a future revision/.test(grpcMessage(err));
}

function isUnavailable(err: unknown): boolean {
  const msg = grpcMessage(err);
  const name = err instanceof Error ? err.name : '';
  return (
    /Unavailable|DeadlineExceeded|Cancelled|BrokenCircuit|Isolated/i.test(name) ||
    /no leader|request timed out|timed out|deadline exceeded|leader changed|UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|No connection established|too many requests|Breaker/i.test(msg)
  );
}

export async function toStoreError(err: unknown, context: ErrorContext, store: RevisionSource): Promise<Error> {
  if (err instanceof StoreError) return err;
  const msg = grpcMessage(err);
  if (store.isClosed()) return new StoreError('the etcd store is closed');
  if (isRevisionCompacted(err)) return new CompactedError(context.revision ?? 0, await store.compactedRevision());
  if (isRevisionInFuture(err)) return new FutureRevisionError(context.revision ?? 0, await store.currentRevision());
  if (/requested lease not found/.test(msg)) return new LeaseNotFoundError(context.lease ?? 0);
  if (/too many operations in txn/.test(msg)) return new StoreError(`a transaction holds at most ${MAX_TXN_OPS} operations on etcd: ${msg}`);
  if (isUnavailable(err)) return new StoreUnavailableError(`etcd is unavailable: ${msg}`);
  return new StoreError(`etcd: ${msg}`);
}
