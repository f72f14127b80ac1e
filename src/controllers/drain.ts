// The Drain operation: cordon a machine, then delete the tasks services own there so the
// workload controller places replacements elsewhere, and report progress until they are gone.
// One-off tasks stay unless params.force (nothing would replace them).
import { TERMINAL_PHASES, type DrainParams, type Machine, type Task } from '../model/index.js';
import { NotFound, PreconditionFailed } from '../errors.js';
import type { State } from '../state/state.js';
import type { OperationHandler } from './operations.js';

const POLL_MS = 100;

export function drainHandler(state: State): OperationHandler {
  return async (op, progress, { signal }) => {
    // The registry checked the parameters and the target when the operation was created.
    const params = (op.spec.params ?? {}) as DrainParams;
    const machine = (op.spec.target as { name: string }).name;
    const machines = state.resources<Machine>('machines');
    if (!machines.get(machine)) throw new Error(`machine "${machine}" not found`);
    await machines.update(machine, (m) => (m.spec?.unschedulable ? undefined : { ...m, spec: { ...m.spec, unschedulable: true } }));

    const tasks = state.resources<Task>('tasks');
    const live = tasks
      .list({ fields: [{ field: 'spec.machine', op: '=', value: machine }] })
      .filter((t) => !TERMINAL_PHASES.has(t.status?.phase ?? '') && !t.metadata.deletionTimestamp);
    const owned = (t: Task) => !!t.metadata.ownerReferences?.some((r) => r.controller);
    const evict = params.force === true ? live : live.filter(owned);
    const kept = live.filter((t) => !evict.includes(t)).map((t) => t.metadata.name);
    for (const t of evict) {
      await tasks.delete(tasks.keyOf(t), { uid: t.metadata.uid }).catch((err) => {
        if (!(err instanceof NotFound || err instanceof PreconditionFailed)) throw err;
      });
    }
    const timeoutMs = (params.timeoutSeconds ?? 120) * 1000;
    const deadline = Date.now() + timeoutMs;
    const uids = new Set(evict.map((t) => t.metadata.uid));
    for (let last = -1; ; ) {
      const left = [...uids].filter((uid) => evict.some((t) => t.metadata.uid === uid && tasks.get(tasks.keyOf(t))?.metadata.uid === uid));
      const gone = uids.size - left.length;
      if (gone !== last) {
        await progress(gone, uids.size, `${gone}/${uids.size} tasks moved off ${machine}`);
        last = gone;
      }
      if (left.length === 0) break;
      if (signal.aborted) throw new Error('the server stopped while the drain was under way; it resumes when controllers run again');
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s with ${left.length} task(s) still stopping on ${machine}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return { machine, evicted: evict.map((t) => t.metadata.name), kept };
  };
}
