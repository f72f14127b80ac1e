// What DNS answers from: every service's Endpoints, kept in memory by watching them (a query
// never reads the store), indexed by lower-cased namespace and name (DNS names ignore case).
import type { Endpoints } from '../model/index.js';
import type { WatchCache, Subscription } from '../state/watch-cache.js';

export class EndpointsView {
  private readonly byName = new Map<string, Endpoints>();
  /** Namespace (lower-cased) → how many services it has here: NAMESPACE.svc.drover exists while it has one. */
  private readonly namespaces = new Map<string, number>();
  private subscription?: Subscription;
  /** Bumped on every change: the SOA serial, so a secondary or a cache can tell the zone changed. */
  serial = 1;

  /** Follows `cache` (the state's endpoints cache) from its current contents on. */
  follow(cache: WatchCache): void {
    this.subscription = cache.subscribe(
      {},
      {
        send: (ev, type) => {
          const prev = ev.prev?.object as Endpoints | undefined;
          if (prev) this.remove(prev);
          if (type !== 'DELETED') this.add(ev.entry.object as Endpoints);
          this.serial = (this.serial % 0xffffffff) + 1;
        },
        bookmark: () => {},
      },
    );
  }

  close(): void {
    this.subscription?.close();
  }

  /** The Endpoints of service `name` in `namespace` (both lower-cased), if it exists. */
  service(namespace: string, name: string): Endpoints | undefined {
    return this.byName.get(`${namespace}/${name}`);
  }

  hasNamespace(namespace: string): boolean {
    return this.namespaces.has(namespace);
  }

  /** Adds (or replaces) one directly: tests and benchmarks without a store. */
  add(ep: Endpoints): void {
    const ns = (ep.metadata.namespace ?? 'default').toLowerCase();
    const key = `${ns}/${ep.metadata.name.toLowerCase()}`;
    if (!this.byName.has(key)) this.namespaces.set(ns, (this.namespaces.get(ns) ?? 0) + 1);
    this.byName.set(key, ep);
  }

  private remove(ep: Endpoints): void {
    const ns = (ep.metadata.namespace ?? 'default').toLowerCase();
    if (!this.byName.delete(`${ns}/${ep.metadata.name.toLowerCase()}`)) return;
    const left = (this.namespaces.get(ns) ?? 1) - 1;
    if (left > 0) this.namespaces.set(ns, left);
    else this.namespaces.delete(ns);
  }
}
