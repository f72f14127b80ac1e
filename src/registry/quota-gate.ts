// Namespace quota at the registry: a create the quota counts (a task) is admitted only if what
// the namespace's live tasks use, plus what creates still in flight reserved, plus its own ask
// fits the namespace's spec.quota. Creates into one namespace go through one at a time on this
// server, each holding its reservation until its write is acknowledged (and the cache shows
// it), so concurrent creates through one server never exceed the quota together. What this
// does not cover: creates on another server of an etcd cluster at the same moment, and the
// tasks the workload controller creates (it checks the same quota when it plans, see
// controllers/namespace-quota.ts); either may overshoot by the creates in flight at once.
import { Forbidden } from '../errors.js';
import { quotaExcess, usageOf, type Namespace, type QuotaUsage, type Task } from '../model/index.js';
import type { State } from '../state/state.js';

export class QuotaGate {
  /** The tail of each namespace's chain of admissions. */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly state: State) {}

  /** Runs `create` if `ask` fits the quota of `namespace` (403 Forbidden naming it otherwise). */
  async admit<R>(namespace: string, ask: QuotaUsage, create: () => Promise<R>): Promise<R> {
    const quota = (this.state.cache('namespaces').get(namespace)?.object as Namespace | undefined)?.spec?.quota;
    if (!quota) return create();
    const previous = this.tails.get(namespace) ?? Promise.resolve();
    const mine = previous.catch(() => {}).then(() => {
      const used = usageOf(tasksIn(this.state, namespace));
      const excess = quotaExcess(namespace, quota, used, ask);
      if (excess) throw new Forbidden(excess);
      return create();
    });
    this.tails.set(namespace, mine);
    try {
      return await mine;
    } finally {
      if (this.tails.get(namespace) === mine) this.tails.delete(namespace);
    }
  }
}

function* tasksIn(state: State, namespace: string): Generator<Task> {
  for (const e of state.cache('tasks').select({ namespace })) yield e.object as Task;
}
