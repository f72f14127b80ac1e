// Leader election on the Store, etcd-style: the leader is whoever created the election key,
// attached to its lease. The key's createRevision is the leader's fence (every later leader has a
// larger one). A leader that cannot renew its lease before `renewDeadlineMs` (shorter than the
// TTL) steps down on its own, so it stops before another server can take over.
import { randomUUID } from 'node:crypto';
import type { Store, Watch } from '../store/store.js';

export interface LeaderElectionOptions {
  store: Store;
  /** The election key, e.g. "/drover/leader/controllers" (inside the state prefix). */
  key: string;
  /** Lease TTL in seconds (default 5): a dead leader is replaced within about 2× this. */
  ttlSeconds?: number;
  /** This server's identity, stored as the key's value (for `etcdctl get`). */
  identity?: string;
  /** Called when this server becomes leader, with its fence; resolves when it is ready to lead. */
  onElected(fence: number): Promise<void> | void;
  /** Called when leadership is lost (stepped down, lease expired, or closed). */
  onDeposed(reason: string): Promise<void> | void;
  logger?: { info(obj: unknown, msg?: string): void; warn(obj: unknown, msg?: string): void };
}

export class LeaderElection {
  readonly identity: string;
  private readonly ttlSeconds: number;
  private lease = 0;
  private fenceRevision = 0;
  private isClosed = false;
  private renewTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private watch?: Watch;
  private lastRenewedAt = 0;
  private campaigning?: Promise<void>;

  constructor(private readonly options: LeaderElectionOptions) {
    this.ttlSeconds = options.ttlSeconds ?? 5;
    this.identity = options.identity ?? randomUUID();
  }

  /** The fence of the current term, 0 when this server is not the leader. */
  get fence(): number {
    return this.fenceRevision;
  }

  get isLeader(): boolean {
    return this.fenceRevision > 0;
  }

  start(): void {
    this.scheduleCampaign(0);
  }

  private scheduleCampaign(delayMs: number): void {
    if (this.isClosed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.campaigning ??= this.campaign()
        .catch((err: unknown) => {
          this.options.logger?.warn({ err }, 'leader election attempt failed; retrying');
          this.scheduleCampaign(500);
        })
        .finally(() => (this.campaigning = undefined));
    }, delayMs);
  }

  private async campaign(): Promise<void> {
    const { store, key } = this.options;
    if (this.isClosed || this.isLeader) return;
    if (!this.lease || (await store.leaseTimeToLive(this.lease)) <= 0) this.lease = await store.grantLease(this.ttlSeconds);
    this.lastRenewedAt = Date.now();
    const result = await store.txn({
      compare: [{ key, target: 'createRevision', op: '=', value: 0 }],
      success: [{ type: 'put', key, value: this.identity, lease: this.lease }],
      failure: [{ type: 'range', key }],
    });
    this.startRenewing();
    if (result.succeeded) {
      await this.becomeLeader(result.revision);
      return;
    }
    const range = result.results[0];
    const holder = range?.type === 'range' ? range.result.kvs[0] : undefined;
    if (holder && holder.value === this.identity && holder.lease === this.lease) {
      await this.becomeLeader(holder.createRevision);
      return;
    }
    // Someone else leads: campaign again when the key goes (deleted or its lease expired).
    this.watch?.close();
    this.watch = store.watch(
      key,
      { startRevision: result.revision + 1 },
      (events) => {
        if (events.some((e) => e.type === 'delete')) {
          this.watch?.close();
          this.watch = undefined;
          this.scheduleCampaign(0);
        }
      },
      () => {
        this.watch = undefined;
        this.scheduleCampaign(500);
      },
    );
  }

  private async becomeLeader(fence: number): Promise<void> {
    if (this.isClosed) return;
    this.fenceRevision = fence;
    this.options.logger?.info({ fence, identity: this.identity }, 'elected leader');
    try {
      await this.options.onElected(fence);
    } catch (err) {
      // Could not start leading (e.g. etcd went away): hand the key over rather than sit on it.
      await this.stepDown('failed to start leading');
      const lease = this.lease;
      this.lease = 0;
      await this.options.store.revokeLease(lease).catch(() => undefined);
      throw err;
    }
  }

  private startRenewing(): void {
    if (this.renewTimer) return;
    const renewDeadlineMs = this.ttlSeconds * 1000 * 0.6;
    const tick = async () => {
      if (this.isClosed) return;
      try {
        await this.options.store.keepAlive(this.lease);
        this.lastRenewedAt = Date.now();
      } catch (err) {
        this.options.logger?.warn({ err }, 'leader lease renewal failed');
        if (Date.now() - this.lastRenewedAt > renewDeadlineMs || (err as Error).name === 'LeaseNotFoundError') {
          await this.stepDown(`lease not renewed within ${renewDeadlineMs} ms`);
          this.lease = 0;
          this.scheduleCampaign(500);
          return;
        }
      }
      if (Date.now() - this.lastRenewedAt > renewDeadlineMs && this.isLeader) await this.stepDown('renewal deadline passed');
    };
    this.renewTimer = setInterval(() => void tick(), Math.max(200, (this.ttlSeconds * 1000) / 5));
  }

  private async stepDown(reason: string): Promise<void> {
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    if (!this.isLeader) return;
    this.fenceRevision = 0;
    this.options.logger?.warn({ reason }, 'stepping down as leader');
    await this.options.onDeposed(reason);
  }

  /** Stops campaigning; a leader resigns (revokes its lease) so another takes over at once. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    clearTimeout(this.retryTimer);
    this.watch?.close();
    await this.campaigning?.catch(() => undefined);
    await this.stepDown('closing');
    clearInterval(this.renewTimer);
    if (this.lease) await this.options.store.revokeLease(this.lease).catch(() => undefined);
  }
}
