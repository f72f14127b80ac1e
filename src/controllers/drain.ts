// The Drain operation: cordon a machine, then delete the tasks services own there so the
// workload controller places replacements elsewhere, and report progress until they are gone.
// One-off tasks stay unless params.force (nothing would replace them). Each step is an event on
// the machine (and each eviction one on its task), so `drover describe machine` tells the story.
import { DEFAULT_NAMESPACE, TERMINAL_PHASES, type DrainParams, type Machine, type Task } from '../model/index.js';
import { NotFound, PreconditionFailed } from '../errors.js';
import type { EventRecorder } from '../events/recorder.js';
import type { State } from '../state/state.js';
import type { OperationHandler } from './operations.js';

const POLL_MS = 100;

export function drainHandler(state: State, events?: EventRecorder): OperationHandler {
  return async (op, progress, { signal }) => {
    // The registry checked the parameters and the target when the operation was created.
    const params = (op.spec.params ?? {}) as DrainParams;
    const machine = (op.spec.target as { name: string }).name;
    const machines = state.resources<Machine>('machines');
    if (!machines.get(machine)) throw new Error(`machine "${machine}" not found`);
    await machines.update(machine, (m) => (m.spec?.unschedulable ? undefined : { ...m, spec: { ...m.spec, unschedulable: true } }));
    events?.record({ kind: 'Machine', name: machine }, 'Normal', 'Cordoned', `drain ${op.metadata.name}: no new tasks are placed here`);

    const tasks = state.resources<Task>('tasks');
    const { evicted: evict, kept } = await evictTasks(state, machine, { force: params.force === true, why: `drain ${op.metadata.name}`, events });
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
      if (Date.now() > deadline) {
        events?.record({ kind: 'Machine', name: machine }, 'Warning', 'DrainTimedOut', `drain ${op.metadata.name}: ${left.length} task(s) still stopping after ${timeoutMs / 1000}s`);
        throw new Error(`timed out after ${timeoutMs / 1000}s with ${left.length} task(s) still stopping on ${machine}`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    events?.record({ kind: 'Machine', name: machine }, 'Normal', 'Drained', `drain ${op.metadata.name}: ${evict.length} task(s) moved off${kept.length ? `, ${kept.length} one-off task(s) kept` : ''}`);
    return { machine, evicted: evict.map((t) => t.metadata.name), kept };
  };
}

export interface EvictOptions {
  /** One-off tasks too (nothing replaces them). */
  force: boolean;
  /** What evicts them, for the events ("drain op-x", "maintenance"). */
  why: string;
  events?: EventRecorder;
}

/**
 * Deletes the live tasks on `machine` that services own (all of them with `force`), so the
 * workload controller places their replacements elsewhere; resolves with those it deleted and
 * the names of those it kept.
 */
export async function evictTasks(state: State, machine: string, opts: EvictOptions): Promise<{ evicted: Task[]; kept: string[] }> {
  const tasks = state.resources<Task>('tasks');
  const live = tasks
    .list({ fields: [{ field: 'spec.machine', op: '=', value: machine }] })
    .filter((t) => !TERMINAL_PHASES.has(t.status?.phase ?? '') && !t.metadata.deletionTimestamp);
  const owned = (t: Task) => !!t.metadata.ownerReferences?.some((r) => r.controller);
  const evicted = opts.force ? live : live.filter(owned);
  const kept = live.filter((t) => !evicted.includes(t)).map((t) => t.metadata.name);
  for (const t of evicted) {
    opts.events?.record({ kind: 'Task', name: t.metadata.name, namespace: t.metadata.namespace ?? DEFAULT_NAMESPACE, uid: t.metadata.uid }, 'Normal', 'Evicted', `${opts.why}: moved off machine ${machine}`);
    await tasks.delete(tasks.keyOf(t), { uid: t.metadata.uid }).catch((err) => {
      if (!(err instanceof NotFound || err instanceof PreconditionFailed)) throw err;
    });
  }
  if (evicted.length) opts.events?.record({ kind: 'Machine', name: machine }, 'Normal', 'Evicting', `${opts.why}: ${evicted.length} task(s) asked to stop`);
  return { evicted, kept };
}
