// What a logged-in page needs: the API with the session's credential, what the user may do
// (discovery), and the live collections of the kinds the user may watch.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Machine } from '../model/machine.js';
import type { Service } from '../model/service.js';
import type { Task } from '../model/task.js';
import type { Api, DiscoveredKind } from './api.js';
import { LiveCollection } from './live.js';

export class ClusterView {
  readonly machines?: LiveCollection<Machine>;
  readonly services?: LiveCollection<Service>;
  readonly tasks?: LiveCollection<Task>;
  private readonly closer = new AbortController();

  constructor(
    readonly api: Api,
    private readonly kinds: DiscoveredKind[],
    onUnauthorized: () => void,
  ) {
    const live = <T extends Machine | Service | Task>(plural: string) =>
      this.can(plural, 'watch') ? new LiveCollection<T>(api, plural, this.closer.signal, onUnauthorized) : undefined;
    this.machines = live<Machine>('machines');
    this.services = live<Service>('services');
    this.tasks = live<Task>('tasks');
  }

  /** Whether discovery lists `verb` on `plural` for this user: what it does not list does not appear. */
  can(plural: string, verb: string): boolean {
    return this.kinds.some((k) => k.name === plural && k.verbs.includes(verb));
  }

  close(): void {
    this.closer.abort();
  }
}

export const ClusterContext = createContext<ClusterView | undefined>(undefined);

export function useCluster(): ClusterView {
  const cluster = useContext(ClusterContext);
  if (!cluster) throw new Error('useCluster outside a logged-in page');
  return cluster;
}
