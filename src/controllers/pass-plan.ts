// What one workload pass decided to write, as data, and the applier that writes it. Planning
// is pure over the cache; the applier runs every write of a pass at once, with bounded
// concurrency, so the store's group commit turns a pass into a few transactions. A write that
// finds its object gone or replaced (NotFound, PreconditionFailed) is moot and skipped; the next
// pass sees the new state.
import { AlreadyExists, NotFound, PreconditionFailed } from '../errors.js';
import { objectKey, type Service, type Task } from '../model/index.js';
import type { State } from '../state/state.js';

const MAX_IN_FLIGHT = 2_000;

export type TaskMutation = (current: Task) => Task | undefined;

export class PassPlan {
  /** New tasks, bound (spec.machine set) or pending. */
  readonly creates = new Map<string, Task>();
  readonly deletes: Task[] = [];
  readonly updates: { task: Task; mutate: TaskMutation }[] = [];
  readonly serviceStatus: { service: Service; mutate: (current: Service) => Service }[] = [];

  create(task: Task): void {
    this.creates.set(objectKey(task, true), task);
  }

  delete(task: Task): void {
    this.deletes.push(task);
  }

  update(task: Task, mutate: TaskMutation): void {
    this.updates.push({ task, mutate });
  }

  setServiceStatus(service: Service, mutate: (current: Service) => Service): void {
    this.serviceStatus.push({ service, mutate });
  }

  get size(): number {
    return this.creates.size + this.deletes.length + this.updates.length + this.serviceStatus.length;
  }
}

/** Writes a plan; each write is guarded by its object's uid, so it never lands on a recreated namesake. */
export async function applyPlan(state: State, plan: PassPlan, onError: (err: unknown) => void): Promise<void> {
  const tasks = state.resources<Task>('tasks');
  const services = state.resources<Service>('services');
  const jobs: (() => Promise<unknown>)[] = [];
  for (const t of plan.deletes) jobs.push(() => tasks.delete(tasks.keyOf(t), { uid: t.metadata.uid }).catch(ignoreGone));
  for (const { task, mutate } of plan.updates) jobs.push(() => tasks.update(tasks.keyOf(task), mutate, { uid: task.metadata.uid }).catch(ignoreGone));
  for (const { service, mutate } of plan.serviceStatus) {
    jobs.push(() => services.update(services.keyOf(service), mutate, { uid: service.metadata.uid }).catch(ignoreGone));
  }
  for (const t of plan.creates.values()) {
    jobs.push(() =>
      tasks.create(t).catch((err) => {
        if (!(err instanceof AlreadyExists)) throw err; // the next pass makes another
      }),
    );
  }
  await runAll(jobs, MAX_IN_FLIGHT, onError);
}

function ignoreGone(err: unknown): void {
  if (err instanceof NotFound || err instanceof PreconditionFailed) return;
  throw err;
}

async function runAll(jobs: (() => Promise<unknown>)[], limit: number, onError: (err: unknown) => void): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      try {
        await job();
      } catch (err) {
        onError(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
