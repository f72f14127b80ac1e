// placeTasks: one scheduling pass. Pure: plain data in, placements and reasons out.
import { BinpackCandidates, SpreadCandidates, type Candidates } from './candidates.js';
import { Cluster, type Ask } from './cluster.js';
import { portKey } from './ports.js';
import type { MachineView, PassOptions, Placement, PlacementRequest, PlacementResult, TaskView, Unplaced } from './types.js';

/**
 * Places all requests of a pass together, in order, each seeing the resources, task counts and
 * services of the placements before it. spread: fewest tasks on the machine (all tasks, fleet's
 * rule), ties by lowest machine name; binpack: least free cpu, then memory, then lowest name.
 * A request whose machineOf target is placed later in the same pass is retried after the others.
 * Ports are a resource like cpu: a fixed one must be free on the machine, dynamic ones are
 * allocated there from `options.portRange`, seeing the pass's earlier placements.
 * Deterministic: the same input gives the same output.
 */
export function placeTasks(requests: readonly PlacementRequest[], machines: readonly MachineView[], existing: Iterable<TaskView> | Cluster, options: PassOptions = {}): PlacementResult {
  const cluster = new Cluster(
    machines,
    existing,
    requests.flatMap((r) => r.constraints.conflicts ?? []),
  );
  const asks = requests.map((r) => cluster.ask(r, options.portRange));
  const placements: Placement[] = [];
  const unplaced: (Unplaced & { at: number })[] = [];

  // Requests sharing a queue key share a candidate queue; the queue is freed after its last use.
  const keys = asks.map(queueKey);
  const uses = new Map<string, number>();
  for (const k of keys) if (k !== undefined) uses.set(k, (uses.get(k) ?? 0) + 1);
  const queues = new Map<string, Candidates>();
  const binpackQueues = new Set<Candidates>();

  const place = (ask: Ask, i: number): void => {
    const ports = ask.ports.length ? cluster.allocate(i, ask) : undefined;
    cluster.add(i, ask.service, ask.cpuMilli, ask.memoryBytes, ask.globs, ports?.map((p) => portKey(p.port, p.protocol)));
    for (const q of binpackQueues) q.placed(i);
    placements.push(ports ? { task: ask.task, machine: cluster.names[i], ports } : { task: ask.task, machine: cluster.names[i] });
  };

  const deferred: number[] = [];
  for (let r = 0; r < asks.length; r++) {
    const ask = asks[r];
    const key = keys[r];
    if (key === undefined) {
      const i = bestOf(cluster, ask);
      if (i >= 0) place(ask, i);
      else if (ask.machineOf !== undefined) deferred.push(r);
      else unplaced.push({ task: ask.task, reason: cluster.explain(ask), at: r });
      continue;
    }
    let q = queues.get(key);
    if (q === undefined) {
      const feasible = cluster.feasible(ask);
      q = ask.strategy === 'binpack' ? new BinpackCandidates(cluster, feasible) : new SpreadCandidates(cluster, feasible);
      queues.set(key, q);
      if (ask.strategy === 'binpack') binpackQueues.add(q);
    }
    let i = q.top();
    while (i >= 0 && !(cluster.fits(i, ask) && cluster.conflict(i, ask) === undefined)) {
      q.drop();
      i = q.top();
    }
    if (i >= 0) place(ask, i);
    else unplaced.push({ task: ask.task, reason: (q.reason ??= cluster.explain(ask)), at: r });
    const left = uses.get(key)! - 1;
    uses.set(key, left);
    if (left === 0) {
      queues.delete(key);
      binpackQueues.delete(q);
    }
  }

  // machineOf targets placed later in the pass (or chains of them): retry while progress is made.
  let pending = deferred;
  while (pending.length > 0) {
    const next = pending.filter((r) => {
      const i = bestOf(cluster, asks[r]);
      if (i < 0) return true;
      place(asks[r], i);
      return false;
    });
    if (next.length === pending.length) break;
    pending = next;
  }
  // Nothing changes any more: replicas of one service share their explanation.
  const reasons = new Map<string, string>();
  for (const r of pending) {
    const ask = asks[r];
    const key = JSON.stringify([ask.service ?? null, ask.cpuMilli, ask.memoryBytes, ask.selectorKey, ask.globs, ask.machineOf, ask.pinned ?? null, ask.portsKey]);
    let reason = reasons.get(key);
    if (reason === undefined) reasons.set(key, (reason = cluster.explain(ask)));
    unplaced.push({ task: ask.task, reason, at: r });
  }

  unplaced.sort((a, b) => a.at - b.at);
  return { placements, unplaced: unplaced.map(({ task, reason }) => ({ task, reason })) };
}

/** Requests with a pinned machine or machineOf have few candidates and are checked directly. */
function queueKey(ask: Ask): string | undefined {
  if (ask.pinned !== undefined || ask.machineOf !== undefined) return undefined;
  const who = ask.hasConflicts ? JSON.stringify([ask.service ?? null, ask.globs]) : '';
  return `${ask.strategy}|${ask.cpuMilli}|${ask.memoryBytes}|${ask.selectorKey}|${who}|${ask.portsKey}`;
}

/** Best machine among the pinned one or those running the machineOf service; -1 when none fits. */
function bestOf(cluster: Cluster, ask: Ask): number {
  let candidates: Iterable<number>;
  if (ask.pinned !== undefined) {
    const i = cluster.index.get(ask.pinned);
    candidates = i === undefined ? [] : [i];
  } else {
    // Every machineOf service must be there: the machines of the first are the candidates.
    candidates = cluster.machinesOf.get(ask.machineOf![0]!) ?? [];
  }
  let best = -1;
  for (const i of candidates) {
    if (cluster.check(i, ask) !== undefined) continue;
    if (best < 0 || cluster.before(i, best, ask.strategy)) best = i;
  }
  return best;
}
