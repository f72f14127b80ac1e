// The cluster's servers, as /api/v1/system/leaders shows them. On etcd each server registers
// under <prefix>/servers/<identity>, bound to a lease it keeps alive: a server that dies
// disappears when its lease expires, with nobody cleaning up. The controllers' leader is whoever
// holds the election key (state/leader.ts); it notes in its own record since when. On SQLite
// there is one server, and it leads whenever it runs the controllers.
import type { Logger } from 'pino';
import { prefixEnd, type Store } from '../store/store.js';

export interface ServerRecord {
  identity: string;
  address: string;
  version: string;
  startedAt: string;
  /** When this server became the controllers' leader, while it is. */
  leaderSince?: string;
}

export interface ServerDirectoryOptions {
  /** This server (its address is known at start). */
  self: Omit<ServerRecord, 'address'>;
  /** Shared state (etcd): register there. Absent: this server is the only one. */
  store?: Store;
  prefix?: string;
  /** TTL of the registration's lease in seconds (default 10). */
  ttlSeconds?: number;
  logger: Logger;
}

export class ServerDirectory {
  private lease = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private record: ServerRecord;
  private readonly base: string;
  private readonly electionKey: string;

  constructor(private readonly opts: ServerDirectoryOptions) {
    this.record = { ...opts.self, address: '' };
    const prefix = (opts.prefix ?? '/drover').replace(/\/+$/, '');
    this.base = `${prefix}/servers/`;
    this.electionKey = `${prefix}/leader/controllers`;
  }

  /** Registers (on a shared store) with the URL the server listens at, and keeps the registration alive until close. */
  async start(address: string): Promise<void> {
    this.record = { ...this.record, address };
    if (!this.opts.store) return;
    await this.register();
    const ttl = this.opts.ttlSeconds ?? 10;
    this.timer = setInterval(() => void this.renew(), Math.max(200, (ttl * 1000) / 3));
    this.timer.unref();
  }

  /** Notes that this server leads the controllers from now on, or no longer does. */
  setLeading(leading: boolean): void {
    const { leaderSince: _was, ...rest } = this.record;
    this.record = leading ? { ...rest, leaderSince: new Date().toISOString() } : rest;
    if (this.opts.store && this.lease) void this.put().catch((err: unknown) => this.opts.logger.warn({ err: String(err) }, 'updating the server registration failed'));
  }

  async leaders(): Promise<{ controllers?: { identity: string; since?: string; address?: string }; servers: ServerRecord[] }> {
    const store = this.opts.store;
    if (!store) {
      const { leaderSince, ...self } = this.record;
      return { ...(leaderSince ? { controllers: { identity: self.identity, since: leaderSince, address: self.address } } : {}), servers: [self] };
    }
    const [registered, election] = await Promise.all([store.range(this.base, { end: prefixEnd(this.base) }), store.get(this.electionKey)]);
    const records = registered.kvs.map((kv) => JSON.parse(kv.value) as ServerRecord);
    const leader = election ? records.find((r) => r.identity === election.value) : undefined;
    return {
      ...(election ? { controllers: { identity: election.value, ...(leader?.leaderSince ? { since: leader.leaderSince } : {}), ...(leader ? { address: leader.address } : {}) } } : {}),
      servers: records.map(({ leaderSince: _l, ...r }) => r).sort((a, b) => a.identity.localeCompare(b.identity)),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    // Gone at once rather than after the TTL: the others see a clean shutdown.
    if (this.opts.store && this.lease) await this.opts.store.revokeLease(this.lease).catch(() => undefined);
  }

  private async register(): Promise<void> {
    this.lease = await this.opts.store!.grantLease(this.opts.ttlSeconds ?? 10);
    await this.put();
  }

  private put(): Promise<unknown> {
    return this.opts.store!.put(`${this.base}${this.record.identity}`, JSON.stringify(this.record), { lease: this.lease });
  }

  private async renew(): Promise<void> {
    if (this.closed) return;
    try {
      await this.opts.store!.keepAlive(this.lease);
    } catch (err) {
      // Expired (etcd unreachable for longer than the TTL): register again on a new lease.
      this.opts.logger.warn({ err: String(err) }, 'server registration lease lost; registering again');
      await this.register().catch((e: unknown) => this.opts.logger.warn({ err: String(e) }, 'registering the server again failed'));
    }
  }
}
