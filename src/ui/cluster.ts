// What a logged-in page needs: the API with the session's credential, what the user may do
// (discovery), and the live collections of the kinds the user may watch.
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { Machine } from '../model/machine.js';
import type { AnyObject } from '../model/meta.js';
import type { Service } from '../model/service.js';
import type { Task } from '../model/task.js';
import type { Api, DiscoveredKind } from './api.js';
import { LiveCollection } from './live.js';

export class ClusterView {
  readonly machines?: LiveCollection<Machine>;
  readonly services?: LiveCollection<Service>;
  readonly tasks?: LiveCollection<Task>;
  private readonly closer = new AbortController();
  /** Answers of the API's access review, by verb, resource and namespace: asked once per page load. */
  private readonly reviews = new Map<string, Promise<boolean>>();
  private readonly others = new Map<string, LiveCollection<AnyObject>>();

  constructor(
    readonly api: Api,
    private readonly kinds: DiscoveredKind[],
    private readonly onUnauthorized: () => void,
  ) {
    const live = <T extends Machine | Service | Task>(plural: string) =>
      this.can(plural, 'watch') ? new LiveCollection<T>(api, plural, this.closer.signal, onUnauthorized) : undefined;
    this.machines = live<Machine>('machines');
    this.services = live<Service>('services');
    this.tasks = live<Task>('tasks');
  }

  /**
   * The live collection of any other kind (events, datasets…), made on first use and shared from
   * then on; undefined when the user may not watch it.
   */
  collection<T extends AnyObject>(plural: string): LiveCollection<T> | undefined {
    if (!this.can(plural, 'watch')) return undefined;
    let c = this.others.get(plural);
    if (!c) {
      c = new LiveCollection<AnyObject>(this.api, plural, this.closer.signal, this.onUnauthorized);
      this.others.set(plural, c);
    }
    return c as unknown as LiveCollection<T>;
  }

  /** Whether discovery lists `verb` on `plural` for this user: what it does not list does not appear. */
  can(plural: string, verb: string): boolean {
    return this.kinds.some((k) => k.name === plural && k.verbs.includes(verb));
  }

  /**
   * Whether the user may do `verb` on `resource` (a plural or "tasks/kill") in `namespace`, as the
   * server's authorizer answers it (GET /api/v1/auth/can-i): discovery says "somewhere", this says
   * "here". A kind discovery does not list for the user is not asked about.
   */
  mayIn(verb: string, resource: string, namespace: string | undefined): Promise<boolean> {
    const plural = resource.split('/')[0]!;
    if (!this.kinds.some((k) => k.name === plural)) return Promise.resolve(false);
    const key = `${verb} ${resource} ${namespace ?? ''}`;
    let answer = this.reviews.get(key);
    if (!answer) {
      const q = new URLSearchParams({ verb, resource, ...(namespace ? { namespace } : {}) });
      answer = this.api.request<{ status: { allowed: boolean } }>('GET', `/api/v1/auth/can-i?${q}`).then(
        (r) => r.status.allowed,
        () => false,
      );
      this.reviews.set(key, answer);
    }
    return answer;
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

/** Whether the user may do this here: undefined until the server answered (show nothing meanwhile). */
export function useMay(verb: string, resource: string, namespace: string | undefined): boolean | undefined {
  const cluster = useCluster();
  const [may, setMay] = useState<boolean>();
  useEffect(() => {
    let isCurrent = true;
    setMay(undefined);
    void cluster.mayIn(verb, resource, namespace).then((v) => isCurrent && setMay(v));
    return () => {
      isCurrent = false;
    };
  }, [cluster, verb, resource, namespace]);
  return may;
}
