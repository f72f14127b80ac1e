// Namespace quota, as the workload controller sees it: a pass creates a service's tasks only
// while they fit its namespace's quota (counting what the pass already planned), and the
// namespaces' status.used follows what their live tasks use. The API's creates go through the
// registry's QuotaGate; see there what is guaranteed.
import { addUsage, DEFAULT_NAMESPACE, quotaExcess, taskAsk, usageOf, type Namespace, type QuotaUsage, type Task } from '../model/index.js';
import type { State } from '../state/state.js';

function tasksIn(state: State, namespace: string): Task[] {
  return [...state.cache('tasks').select({ namespace })].map((e) => e.object as Task);
}

/** One pass's view of the quotas: usage per namespace, plus the creates planned so far. */
export class PassQuotas {
  private readonly used = new Map<string, QuotaUsage>();
  constructor(private readonly state: State) {}

  /** Why `task` does not fit its namespace's quota, or undefined (and it is counted from now on). */
  excess(task: Task): string | undefined {
    const namespace = task.metadata.namespace ?? DEFAULT_NAMESPACE;
    const quota = (this.state.cache('namespaces').get(namespace)?.object as Namespace | undefined)?.spec?.quota;
    if (!quota) return undefined;
    let used = this.used.get(namespace);
    if (!used) this.used.set(namespace, (used = usageOf(tasksIn(this.state, namespace))));
    const ask = taskAsk(task);
    const why = quotaExcess(namespace, quota, used, ask);
    if (!why) this.used.set(namespace, addUsage(used, ask));
    return why;
  }
}

/** Writes status.used of every namespace with a quota whose usage changed. */
export async function reportQuotaUsage(state: State): Promise<void> {
  const namespaces = state.resources<Namespace>('namespaces');
  for (const ns of namespaces.list()) {
    if (!ns.spec?.quota) continue;
    const used = usageOf(tasksIn(state, ns.metadata.name));
    const now = ns.status?.used;
    if (now && now.cpuMilli === used.cpuMilli && now.memoryBytes === used.memoryBytes && now.tasks === used.tasks) continue;
    await namespaces.update(ns.metadata.name, (cur) => ({ ...cur, status: { ...cur.status, used } }), { uid: ns.metadata.uid });
  }
}
