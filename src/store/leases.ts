// In-memory lease registry: TTL, expiry deadline and attached keys. Only grants and revokes are
// persisted (by the writer); expiry deadlines live in memory, so after a restart every lease gets
// its full TTL again, as etcd does after a leader change.

import { randomInt } from 'node:crypto';

export interface Lease {
  readonly id: number;
  readonly ttlSeconds: number;
  expiresAtMs: number;
  /** Set once expiry has queued the revoke: keepAlive no longer revives it. */
  isExpiring: boolean;
  readonly keys: Set<string>;
}

export class LeaseTable {
  private readonly leases = new Map<number, Lease>();

  get(id: number): Lease | undefined {
    return this.leases.get(id);
  }

  has(id: number): boolean {
    return this.leases.has(id);
  }

  /** A fresh id; random like etcd's so an id from before a restart is not handed out again. */
  newId(): number {
    for (;;) {
      const id = randomInt(1, 2 ** 47);
      if (!this.leases.has(id)) return id;
    }
  }

  add(id: number, ttlSeconds: number, nowMs: number): Lease {
    const lease: Lease = { id, ttlSeconds, expiresAtMs: nowMs + ttlSeconds * 1000, isExpiring: false, keys: new Set() };
    this.leases.set(id, lease);
    return lease;
  }

  /** Puts a removed lease back (undo of a failed batch). */
  restore(lease: Lease): void {
    this.leases.set(lease.id, lease);
  }

  remove(id: number): void {
    this.leases.delete(id);
  }

  attach(key: string, id: number): void {
    if (id !== 0) this.leases.get(id)?.keys.add(key);
  }

  detach(key: string, id: number): void {
    if (id !== 0) this.leases.get(id)?.keys.delete(key);
  }

  /** Leases past their deadline whose revoke has not been queued yet. */
  expired(nowMs: number): Lease[] {
    const out: Lease[] = [];
    for (const lease of this.leases.values()) {
      if (!lease.isExpiring && lease.expiresAtMs <= nowMs) out.push(lease);
    }
    return out;
  }

  isAlive(lease: Lease | undefined, nowMs: number): lease is Lease {
    return lease !== undefined && !lease.isExpiring && lease.expiresAtMs > nowMs;
  }
}
