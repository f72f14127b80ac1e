// One deadline per store call, and the same answer every time it passes. etcd3's own fault
// handling retried a failed call up to 3 times, each try with a fresh deadline, and opened a
// per-member circuit breaker for 5 s after 3 failures. Measured with 3 members and 2 killed
// (deadline 5 s): the first write failed after 10.1 s, then writes alternated between ~5 s and
// 1–60 ms ("circuit breaker is open"), and a member that came back stayed skipped until its
// breaker closed. Here etcd3's policies are off (etcdFaultHandling); a call that fails for a
// passing reason (no connection to the member drawn, a connection that dropped, a leader
// election) is tried again on a member drawn at random, until its one deadline. Without a
// quorum every call thus ends at that deadline with DeadlineError's message, and succeeds
// instead as soon as a quorum answers.
import { setTimeout as sleep } from 'node:timers/promises';
import { noop } from 'cockatiel';
import type { IOptions } from 'etcd3';
import { grpcMessage } from './etcd-errors.js';
import { StoreUnavailableError } from './store.js';

/** What a call passes to etcd3 (grpc's CallOptions): when it must be answered by. */
export interface CallDeadline {
  deadline: number;
}

/** No retries and no circuit breakers in etcd3 (see above). */
export function etcdFaultHandling(): NonNullable<IOptions['faultHandling']> {
  return { host: () => noop, global: noop };
}

/** etcd did not answer a call within the store's deadline (--etcd-timeout). */
export class DeadlineError extends StoreUnavailableError {
  override name = 'DeadlineError';
  constructor(timeoutMs: number) {
    super(`etcd did not answer within ${timeoutMs} ms (--etcd-timeout): a majority of its members may be down or unreachable`);
  }
}

/**
 * Failures that another try may not meet: no connection to the member drawn, a connection that
 * dropped under the call, a leader election, a member's own timeout of a proposal. Trying a write again is safe because every write
 * drover makes is a compare-and-swap or idempotent: if the first try did commit, the next one
 * meets a changed revision, as a client's own retry of the 503 would.
 */
function isPassing(err: unknown): boolean {
  // "request timed out" and "timed out waiting for read index" come from a member that lost its
  // quorum under a pending proposal or read, sometimes well before the call's deadline.
  return /No connection established|ECONNREFUSED|Connection dropped|leader changed|no leader|etcdserver: request timed out|timed out waiting for read index/.test(grpcMessage(err));
}

/** The call's deadline passed: gRPC cancelled it, or etcd (which gets the deadline with the call) gave up first. */
function isDeadlineExceeded(err: unknown): boolean {
  return /DEADLINE_EXCEEDED|context deadline exceeded/.test(grpcMessage(err));
}

export interface DeadlineOptions {
  timeoutMs: number;
  /** How many members there are: a call is tried again at once until each could have been drawn. */
  members: number;
  isClosed(): boolean;
}

/**
 * Runs `call` with one deadline `timeoutMs` from now, trying it again while it fails for a
 * passing reason; throws DeadlineError once the deadline passes, or the call's own error.
 */
export async function withDeadline<T>(call: (options: CallDeadline) => Promise<T>, options: DeadlineOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call({ deadline });
    } catch (err) {
      if (options.isClosed()) throw err;
      if (isDeadlineExceeded(err)) throw new DeadlineError(options.timeoutMs);
      if (!isPassing(err)) throw err;
      if (Date.now() >= deadline) throw new DeadlineError(options.timeoutMs);
      // Every member could have been drawn and none answered: pause a little, up to the
      // deadline; a try at or past the deadline then fails as DeadlineError.
      const pauseMs = Math.min(attempt < options.members ? 0 : 25 * 2 ** (attempt - options.members), 500, deadline - Date.now());
      if (pauseMs > 0) await sleep(pauseMs);
    }
  }
}
