// Clusters: keeps each Cluster's status current — Commissaire's ok/degraded/failed and its host
// counts from its members' phases, and a References condition saying whether the network and the
// container manager it names exist. Any change to hosts, clusters, networks or container managers
// marks the clusters dirty; one pass at a time recomputes them all (there are few, and each pass
// is arithmetic over the watch cache) and writes only the statuses that changed.
import type { Logger } from 'pino';
import { NotFound } from '../errors.js';
import { clusterHealth, DEFAULT_NETWORK, type Cluster, type ClusterStatus, type Host } from '../model/index.js';
import type { State } from '../state/state.js';
import type { Subscription } from '../state/watch-cache.js';
import { setCondition } from './conditions.js';

/** The condition that says whether a cluster's network and container manager exist. */
export const REFERENCES_CONDITION = 'References';

export class ClusterController {
  private readonly subs: Subscription[] = [];
  private pass?: Promise<void>;
  private dirty = false;
  private closed = false;

  constructor(
    private readonly state: State,
    private readonly log: Logger,
  ) {}

  start(): void {
    for (const plural of ['hosts', 'clusters', 'networks', 'containermanagers']) {
      this.subs.push(this.state.cache(plural).subscribe({}, { send: () => this.kick(), bookmark: () => {} }));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.subs) s.close();
    await this.pass;
  }

  private kick(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.pass) return;
    this.pass = (async () => {
      while (this.dirty && !this.closed) {
        this.dirty = false;
        await this.syncAll().catch((err) => this.log.error({ err }, 'cluster status pass failed'));
      }
    })().finally(() => (this.pass = undefined));
  }

  private async syncAll(): Promise<void> {
    const hosts = this.state.resources<Host>('hosts').list();
    for (const cluster of this.state.resources<Cluster>('clusters').list()) {
      if (this.closed) return;
      const members = hosts.filter((h) => h.spec.cluster === cluster.metadata.name);
      const next = this.statusOf(cluster, members);
      if (JSON.stringify(next) === JSON.stringify(cluster.status ?? {})) continue;
      await this.state
        .resources<Cluster>('clusters')
        .update(cluster.metadata.name, (cur) => ({ ...cur, status: this.statusOf(cur, members) }), { uid: cluster.metadata.uid })
        .catch((err: unknown) => {
          if (!(err instanceof NotFound)) throw err;
        });
    }
  }

  private statusOf(cluster: Cluster, members: Host[]): ClusterStatus {
    const health = clusterHealth(members.map((h) => h.status?.phase));
    const missing: string[] = [];
    const network = cluster.spec?.network ?? DEFAULT_NETWORK;
    if (!this.state.resources('networks').get(network)) missing.push(`network "${network}" does not exist: create it (drover apply) or name another with spec.network`);
    const cm = cluster.spec?.containerManager;
    if (cm && !this.state.resources('containermanagers').get(cm)) missing.push(`container manager "${cm}" does not exist: create it or name another with spec.containerManager`);
    const reason = missing.length === 0 ? 'Resolved' : missing.length === 2 ? 'NetworkAndContainerManagerNotFound' : missing[0]!.startsWith('network') ? 'NetworkNotFound' : 'ContainerManagerNotFound';
    const message = missing.length ? missing.join('; ') : `network "${network}"${cm ? ` and container manager "${cm}"` : ''} exist`;
    const conditions = setCondition(cluster.status?.conditions, { type: REFERENCES_CONDITION, status: missing.length ? 'False' : 'True', reason, message }) ?? cluster.status?.conditions;
    return { ...cluster.status, ...health, ...(conditions ? { conditions } : {}) };
  }
}
