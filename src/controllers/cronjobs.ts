// The cronjob controller: makes a CronJob's Jobs at their scheduled times (cronjob-plan.ts says
// which and when), deletes the ones Replace kills and those beyond the history limits, and
// writes status. The job is created before status.lastScheduleTime moves: a leader that dies in
// between leaves a job whose name its successor cannot create again, so it only moves the time.
// Jobs of a deleted cronjob (or of an earlier one of the same name) are deleted.
import type { Logger } from 'pino';
import type { EventRecorder } from '../events/recorder.js';
import { AlreadyExists, NotFound, PreconditionFailed } from '../errors.js';
import { DEFAULT_NAMESPACE, jobFor, sameJson, type CronJob, type Job } from '../model/index.js';
import type { State } from '../state/state.js';
import type { Subscription } from '../state/watch-cache.js';
import { planCronJob } from './cronjob-plan.js';
import { serverEventRecorder } from './event-sink.js';
import { OwnedIndex } from './owned-index.js';
import { WorkQueue } from './work-queue.js';

export class CronJobController {
  private readonly queue: WorkQueue;
  private readonly subs: Subscription[] = [];
  private readonly jobsOf = new OwnedIndex<Job>('CronJob');
  private readonly events: EventRecorder;

  constructor(
    private readonly state: State,
    private readonly log: Logger,
  ) {
    this.queue = new WorkQueue((keys) => this.pass(keys), (err) => log.error({ err }, 'cronjob pass failed'));
    this.events = serverEventRecorder(state, 'cronjobs', log);
  }

  start(): void {
    const bookmark = () => {};
    this.subs.push(
      this.state.cache('jobs').subscribe(
        {},
        {
          send: (ev) => {
            const prev = ev.prev?.object as Job | undefined;
            const next = ev.type === 'DELETED' ? undefined : (ev.entry.object as Job);
            this.jobsOf.change(prev, next);
            const owner = (next && this.jobsOf.ownerKey(next)) ?? (prev && this.jobsOf.ownerKey(prev));
            if (owner !== undefined) this.queue.add(owner);
          },
          bookmark,
        },
      ),
      this.state.cache('cronjobs').subscribe({}, { send: (ev) => this.queue.add(ev.key), bookmark }),
    );
    for (const owner of this.jobsOf.owners()) this.queue.add(owner);
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.close();
    this.queue.close();
    this.events.close();
  }

  private async pass(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.reconcile(key).catch((err) => this.log.warn({ err: String(err), cronjob: key }, 'cronjob reconcile failed'))));
  }

  private async reconcile(key: string): Promise<void> {
    const cronjobs = this.state.resources<CronJob>('cronjobs');
    const jobs = this.state.resources<Job>('jobs');
    const cj = cronjobs.get(key);
    const owned: Job[] = [];
    const removals: Promise<unknown>[] = [];
    for (const j of this.jobsOf.owned(key)) {
      if (cj && !cj.metadata.deletionTimestamp && j.metadata.ownerReferences?.some((r) => r.uid === cj.metadata.uid)) owned.push(j);
      else if (!j.metadata.deletionTimestamp) removals.push(jobs.delete(jobs.keyOf(j), { uid: j.metadata.uid }).catch(ignoreGone));
    }
    if (!cj || cj.metadata.deletionTimestamp) return void (await Promise.all(removals));

    const plan = planCronJob(cj, owned, Date.now());
    if (plan.wakeAt !== undefined) this.queue.addAt(key, plan.wakeAt);
    for (const { job, why } of plan.delete) {
      removals.push(
        jobs
          .delete(jobs.keyOf(job), { uid: job.metadata.uid })
          .then(() => this.record(cj, 'Normal', 'SuccessfulDelete', `deleted job ${job.metadata.name}: ${why}`))
          .catch(ignoreGone),
      );
    }
    await Promise.all(removals);
    for (const e of plan.events) this.record(cj, e.type, e.reason, e.message);
    const status = plan.status;
    if (plan.run) {
      const { name, scheduled } = plan.run;
      try {
        await jobs.create(jobFor(cj, name, scheduled.toISOString()));
        this.record(cj, 'Normal', 'SuccessfulCreate', `created job ${name} for ${scheduled.toISOString()}`);
        status.active = [...(status.active ?? []), name];
      } catch (err) {
        if (!(err instanceof AlreadyExists)) throw err;
      }
      status.lastScheduleTime = scheduled.toISOString();
    }
    if (sameJson(status, cj.status ?? {})) return;
    await cronjobs.update(key, (cur) => ({ ...cur, status: { ...status, lastScheduleTime: later(cur.status?.lastScheduleTime, status.lastScheduleTime) } }), { uid: cj.metadata.uid }).catch(ignoreGone);
  }

  private record(cj: CronJob, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.record({ kind: 'CronJob', name: cj.metadata.name, namespace: cj.metadata.namespace ?? DEFAULT_NAMESPACE, uid: cj.metadata.uid }, type, reason, message);
  }
}

/** The later of two RFC 3339 times: the schedule time never moves back. */
function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

function ignoreGone(err: unknown): void {
  if (err instanceof NotFound || err instanceof PreconditionFailed) return;
  throw err;
}
