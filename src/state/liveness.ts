// Machine liveness without write storms: each machine's heartbeat is a key attached to a store
// lease (TTL = the grace period). A heartbeat only renews the lease — in memory on SQLite, an
// etcd keepalive on etcd — and the key disappears by itself when heartbeats stop, which every
// server sees through its watch.
import { LeaseNotFoundError, type KeyValue, type Store, type WatchEvent } from '../store/store.js';

export type LivenessListener = (machine: string, alive: boolean) => void;

export class Liveness {
  private readonly beats = new Map<string, number>();
  private readonly listeners = new Set<LivenessListener>();

  constructor(
    private readonly store: Store,
    /** Key prefix of heartbeat keys, ending in "/". */
    readonly prefix: string,
    readonly graceSeconds: number,
  ) {}

  isAlive(machine: string): boolean {
    return this.beats.has(machine);
  }

  alive(): string[] {
    return [...this.beats.keys()];
  }

  onChange(listener: LivenessListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records a heartbeat from `machine`. */
  async heartbeat(machine: string): Promise<void> {
    const lease = this.beats.get(machine);
    if (lease !== undefined) {
      try {
        await this.store.keepAlive(lease);
        return;
      } catch (err) {
        if (!(err instanceof LeaseNotFoundError)) throw err;
      }
    }
    const fresh = await this.store.grantLease(this.graceSeconds);
    await this.store.put(this.prefix + machine, JSON.stringify({ machine, since: new Date().toISOString() }), { lease: fresh });
  }

  /** Initial state, from a list of the heartbeat keys. */
  reset(kvs: KeyValue[]): void {
    this.beats.clear();
    for (const kv of kvs) this.beats.set(kv.key.slice(this.prefix.length), kv.lease);
  }

  apply(ev: WatchEvent): void {
    const machine = ev.kv.key.slice(this.prefix.length);
    const was = this.beats.has(machine);
    if (ev.type === 'delete') this.beats.delete(machine);
    else this.beats.set(machine, ev.kv.lease);
    const is = this.beats.has(machine);
    if (was !== is) for (const l of this.listeners) l(machine, is);
  }
}
