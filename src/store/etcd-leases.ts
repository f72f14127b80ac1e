// Leases on etcd: grant with ids we choose (etcd's int64 ids do not fit a JS number), renewals
// over one shared LeaseKeepAlive stream with a deadline per renewal, idempotent revoke, and the
// remaining TTL rounded up. Calls go through the store, which refuses them once it is closed and
// maps etcd's errors.
import { randomInt } from 'node:crypto';
import type { LeaseClient } from 'etcd3';
import { num } from './etcd-codec.js';
import { grpcMessage, type StoreCalls } from './etcd-errors.js';
import { LeaseNotFoundError, StoreError, StoreUnavailableError } from './store.js';

export interface EtcdLeasesOptions extends StoreCalls {
  leaseClient: LeaseClient;
  /** Deadline of one renewal on the keepalive stream. */
  renewTimeoutMs: number;
}

export class EtcdLeases {
  private keepAliveStream?: Promise<KeepAliveStream>;

  constructor(private readonly options: EtcdLeasesOptions) {}

  async grant(ttlSeconds: number): Promise<number> {
    this.options.checkOpen();
    if (!(Number.isFinite(ttlSeconds) && ttlSeconds > 0)) throw new StoreError(`lease TTL must be a positive number of seconds, got ${ttlSeconds}`);
    for (let attempt = 0; ; attempt++) {
      // Our own id below 2^53 (etcd's would not fit a JS number); collisions are retried.
      const id = randomInt(1, 2 ** 48);
      try {
        const res = await this.options.call((o) => this.options.leaseClient.leaseGrant({ TTL: Math.ceil(ttlSeconds), ID: id }, o));
        if (res.error) throw new StoreError(`etcd refused the lease: ${res.error}`);
        return num(res.ID);
      } catch (err) {
        if (attempt < 3 && /lease already exists/.test(grpcMessage(err))) continue;
        throw err;
      }
    }
  }

  async keepAlive(lease: number): Promise<{ ttlSeconds: number }> {
    this.options.checkOpen();
    try {
      this.keepAliveStream ??= this.options.leaseClient.leaseKeepAlive().then((stream) => new KeepAliveStream(stream, () => (this.keepAliveStream = undefined)));
      const stream = await this.keepAliveStream;
      const ttl = await stream.renew(lease, this.options.renewTimeoutMs);
      if (ttl <= 0) throw new LeaseNotFoundError(lease);
      return { ttlSeconds: ttl };
    } catch (err) {
      this.keepAliveStream = undefined;
      throw await this.options.mapError(err, { lease });
    }
  }

  async revoke(lease: number): Promise<void> {
    try {
      await this.options.call((o) => this.options.leaseClient.leaseRevoke({ ID: lease }, o), { lease });
    } catch (err) {
      if (err instanceof LeaseNotFoundError) return; // already gone: revoking is idempotent
      throw err;
    }
  }

  async timeToLive(lease: number): Promise<number> {
    const res = await this.options.call((o) => this.options.leaseClient.leaseTimeToLive({ ID: lease }, o), { lease });
    const ttl = num(res.TTL);
    if (ttl < 0) return -1;
    // etcd truncates the remaining seconds (a 1 s lease reads 0 at once); report them rounded up.
    return Math.min(ttl + 1, Math.max(num(res.grantedTTL), 1));
  }

  /** Ends the keepalive stream; the store closes the client after. */
  async close(): Promise<void> {
    const stream = this.keepAliveStream;
    this.keepAliveStream = undefined;
    if (stream) await stream.then((s) => s.end()).catch(() => undefined);
  }
}

interface DuplexLike {
  write(req: { ID: number }): void;
  on(event: 'data', fn: (res: { ID: string; TTL: string }) => void): unknown;
  on(event: 'error' | 'end', fn: (err?: Error) => void): unknown;
  end(): void;
}

/** One LeaseKeepAlive stream shared by all renewals: etcd answers its requests in order. */
class KeepAliveStream {
  private readonly pending: Array<{ resolve(ttl: number): void; reject(err: Error): void }> = [];
  private broken?: Error;

  constructor(
    private readonly stream: DuplexLike,
    private readonly onBroken: () => void,
  ) {
    stream.on('data', (res) => this.pending.shift()?.resolve(num(res.TTL)));
    const fail = (err?: Error) => {
      this.broken = err ?? new StoreUnavailableError('etcd lease keepalive stream ended');
      this.onBroken();
      for (const p of this.pending.splice(0)) p.reject(this.broken);
    };
    stream.on('error', fail);
    stream.on('end', fail);
  }

  renew(lease: number, timeoutMs: number): Promise<number> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.broken = new StoreUnavailableError(`etcd did not answer a lease renewal within ${timeoutMs} ms`);
        this.onBroken();
        for (const p of this.pending.splice(0)) p.reject(this.broken);
        this.stream.end();
      }, timeoutMs);
      this.pending.push({
        resolve: (ttl) => (clearTimeout(timer), resolve(ttl)),
        reject: (err) => (clearTimeout(timer), reject(err)),
      });
      this.stream.write({ ID: lease });
    });
  }

  end(): void {
    this.stream.end();
  }
}
