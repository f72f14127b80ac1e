// Lease expiry: deletes leases whose expiresAt has passed, checked every second (Flocker's
// control service expires its leases on a one-second loop too). A lease renewed meanwhile is
// left alone: the delete is conditioned on the revision that was judged lapsed.
import type { Logger } from 'pino';
import { NotFound, PreconditionFailed } from '../errors.js';
import { leaseHolds, type Lease } from '../model/index.js';
import type { State } from '../state/state.js';

export const LEASE_SWEEP_MS = 1_000;

export class LeaseExpiryController {
  private timer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    private readonly state: State,
    private readonly log: Logger,
    private readonly intervalMs = LEASE_SWEEP_MS,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }

  /** Deletes every lapsed lease once; a sweep still running when the next is due is not doubled. */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const leases = this.state.resources<Lease>('leases');
      const now = this.now();
      for (const lease of leases.list()) {
        if (leaseHolds(lease, now)) continue;
        await leases.delete(leases.keyOf(lease), { uid: lease.metadata.uid, revision: lease.metadata.revision }).catch((err: unknown) => {
          if (!(err instanceof NotFound || err instanceof PreconditionFailed)) throw err;
        });
      }
    } catch (err) {
      this.log.error({ err }, 'deleting lapsed leases failed');
    } finally {
      this.sweeping = false;
    }
  }
}
