// The job controller: starts a Job's tasks (pending: the workload controller places them like
// any other task), counts them by how they ended, kills them when the job fails or completes,
// and writes the job's status. The tasks of a deleted job, or of an earlier job of the same name,
// are deleted. Runs on the leader only, like every controller (its writes are fenced).
import type { Logger } from 'pino';
import type { EventRecorder } from '../events/recorder.js';
import { AlreadyExists, NotFound, PreconditionFailed } from '../errors.js';
import { API_VERSION, DEFAULT_NAMESPACE, JOB_LABEL, sameJson, type Job, type Task } from '../model/index.js';
import type { State } from '../state/state.js';
import type { Subscription } from '../state/watch-cache.js';
import { serverEventRecorder } from './event-sink.js';
import { planJob } from './job-plan.js';
import { PassQuotas } from './namespace-quota.js';
import { OwnedIndex } from './owned-index.js';
import { WorkQueue } from './work-queue.js';

export class JobController {
  private readonly queue: WorkQueue;
  private readonly subs: Subscription[] = [];
  private readonly tasksOf = new OwnedIndex<Task>('Job');
  private readonly events: EventRecorder;

  constructor(
    private readonly state: State,
    private readonly log: Logger,
  ) {
    this.queue = new WorkQueue((keys) => this.pass(keys), (err) => log.error({ err }, 'job pass failed'));
    this.events = serverEventRecorder(state, 'jobs', log);
  }

  start(): void {
    const bookmark = () => {};
    this.subs.push(
      this.state.cache('tasks').subscribe(
        {},
        {
          send: (ev) => {
            const prev = ev.prev?.object as Task | undefined;
            const next = ev.type === 'DELETED' ? undefined : (ev.entry.object as Task);
            this.tasksOf.change(prev, next);
            const owner = (next && this.tasksOf.ownerKey(next)) ?? (prev && this.tasksOf.ownerKey(prev));
            if (owner !== undefined) this.queue.add(owner);
          },
          bookmark,
        },
      ),
      this.state.cache('jobs').subscribe({}, { send: (ev) => this.queue.add(ev.key), bookmark }),
    );
    // The tasks of jobs deleted while no leader ran.
    for (const owner of this.tasksOf.owners()) this.queue.add(owner);
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.close();
    this.queue.close();
    this.events.close();
  }

  /** Resolves when no pass is running or queued (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async pass(keys: string[]): Promise<void> {
    const quotas = new PassQuotas(this.state);
    await Promise.all(keys.map((key) => this.reconcile(key, quotas).catch((err) => this.log.warn({ err: String(err), job: key }, 'job reconcile failed'))));
  }

  private async reconcile(key: string, quotas: PassQuotas): Promise<void> {
    const jobs = this.state.resources<Job>('jobs');
    const tasks = this.state.resources<Task>('tasks');
    const job = jobs.get(key);
    const owned: Task[] = [];
    const writes: Promise<unknown>[] = [];
    const kill = (t: Task) => writes.push(tasks.delete(tasks.keyOf(t), { uid: t.metadata.uid }).catch(ignoreGone));
    for (const t of this.tasksOf.owned(key)) {
      if (job && !job.metadata.deletionTimestamp && t.metadata.ownerReferences?.some((r) => r.uid === job.metadata.uid)) owned.push(t);
      else if (!t.metadata.deletionTimestamp) kill(t); // its job is gone (or this is an earlier namesake's)
    }
    if (!job || job.metadata.deletionTimestamp) return void (await Promise.all(writes));

    const now = Date.now();
    const plan = planJob(job, owned, now);
    for (const t of plan.kill) kill(t);
    if (plan.retryAt !== undefined) this.queue.addAt(key, plan.retryAt);
    let created = 0;
    for (let i = 0; i < plan.create; i++) {
      const task = newTask(job, tasks.generateName(`${job.metadata.name.slice(0, 240)}-`, job.metadata.namespace));
      const overQuota = quotas.excess(task);
      if (overQuota) {
        this.record(job, 'Warning', 'FailedCreate', overQuota);
        break; // retried when its tasks or the job change
      }
      created++;
      writes.push(
        tasks.create(task).then(
          () => this.record(job, 'Normal', 'SuccessfulCreate', `created task ${task.metadata.name}`),
          (err) => {
            if (!(err instanceof AlreadyExists)) throw err;
          },
        ),
      );
    }
    await Promise.all(writes);
    const status = { ...plan.status, active: plan.status.active! - (plan.create - created) };
    if (!sameJson(stripUndefined(status), stripUndefined(job.status ?? {}))) {
      await jobs.update(key, (cur) => ({ ...cur, status }), { uid: job.metadata.uid }).catch(ignoreGone);
      for (const e of plan.events) this.record(job, e.type, e.reason, e.message);
    }
  }

  private record(job: Job, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.record({ kind: 'Job', name: job.metadata.name, namespace: job.metadata.namespace ?? DEFAULT_NAMESPACE, uid: job.metadata.uid }, type, reason, message);
  }
}

function newTask(job: Job, name: string): Task {
  return {
    apiVersion: API_VERSION,
    kind: 'Task',
    metadata: {
      name,
      namespace: job.metadata.namespace ?? DEFAULT_NAMESPACE,
      labels: { ...job.metadata.labels, [JOB_LABEL]: job.metadata.name },
      ownerReferences: [{ kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true }],
    } as unknown as Task['metadata'],
    spec: { template: job.spec.template, desiredState: 'running' },
    status: {},
  };
}

function stripUndefined<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function ignoreGone(err: unknown): void {
  if (err instanceof NotFound || err instanceof PreconditionFailed) return;
  throw err;
}
