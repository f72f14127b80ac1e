// Blocking unit commands (`unit start|load|stop|unload`) wait, as fleetctl does, until every
// unit's tasks reached the state. What they print while waiting is one line per change of state,
// and a unit whose task fails (or whose service reports a crash loop) fails the command at once
// with the task's own words, instead of waiting for the timeout. Failures are watched for from
// the revision read before the command changed anything: a task that fails and is replaced
// between two looks is still seen.
import type { Client, Service, Task } from '../client/client.js';
import type { ServiceDesiredState as DesiredState } from '../model/index.js';
import { TERMINAL_PHASES } from '../model/index.js';
import { isLiveTask, shortId } from './kinds.js';
import { ProgressLine, sleep } from './output.js';

/** The unit's tasks that still run or will (not finished, not being deleted). */
export async function placements(client: Client, name: string): Promise<Task[]> {
  return (await client.tasks.listAll({ fieldSelector: `metadata.owner=${name}` })).items.filter(isLiveTask);
}

/** Short machine ID and address, as fleetctl prints "ID/IP". */
export async function machineLabel(client: Client, id: string | undefined, cache: Map<string, string>): Promise<string> {
  if (!id) return '-';
  if (!cache.has(id)) {
    const m = await client.machines.find(id);
    cache.set(id, `${shortId(id)}${m?.status?.address ? `/${m.status.address}` : ''}`);
  }
  return cache.get(id)!;
}

/** Every task this service owns, finished ones included (by uid: not an earlier service's). */
async function ownedTasks(client: Client, svc: Service): Promise<Task[]> {
  const named = await client.tasks.listAll({ fieldSelector: `metadata.owner=${svc.metadata.name}` });
  return named.items.filter((t) => t.metadata.ownerReferences?.some((r) => r.uid === svc.metadata.uid));
}

/** "exited with code 1 (Error)": what a task says about itself. */
function taskWords(t: Task): string {
  const st = t.status ?? {};
  return [st.message, st.reason && st.reason !== st.message ? `(${st.reason})` : ''].filter(Boolean).join(' ') || `phase ${st.phase ?? 'Pending'}`;
}

const CRASH_LOOP = 'CrashLoopBackOff';

/** Where a unit's tasks stood before the command changed the unit: what comes after is its doing. */
export interface UnitMark {
  name: string;
  revision: number;
  finishedBefore: Set<string>;
}

/** Call before changing the unit (or creating it). */
export async function markUnit(client: Client, name: string): Promise<UnitMark> {
  const list = await client.tasks.listAll({ fieldSelector: `metadata.owner=${name}` });
  return { name, revision: list.metadata.revision, finishedBefore: new Set(list.items.filter((t) => TERMINAL_PHASES.has(t.status?.phase ?? '')).map((t) => t.metadata.name)) };
}

/** Collects the unit's tasks that fail after the mark, until aborted. */
function watchFailures(client: Client, mark: UnitMark, signal: AbortSignal): Map<string, Task> {
  const failed = new Map<string, Task>();
  void (async () => {
    try {
      for await (const ev of client.tasks.watch({ fieldSelector: `metadata.owner=${mark.name}`, revision: mark.revision, signal })) {
        const t = ev.object;
        if (ev.type !== 'BOOKMARK' && t.status?.phase === 'Failed' && !mark.finishedBefore.has(t.metadata.name)) failed.set(t.metadata.name, t);
      }
    } catch {
      // history compacted, or the server went away: the polling below still sees what is left
    }
  })();
  return failed;
}

/** Why the unit cannot reach its state, if it cannot: a task of this service that failed since the mark, or a crash loop. */
function failure(svc: Service, tasks: Task[], mark: UnitMark): { task?: Task; message: string } | undefined {
  const isOurs = (t: Task) => t.metadata.ownerReferences?.some((r) => r.uid === svc.metadata.uid);
  const failed = tasks.find((t) => t.status?.phase === 'Failed' && !mark.finishedBefore.has(t.metadata.name) && isOurs(t));
  if (failed) return { task: failed, message: taskWords(failed) };
  const loop = svc.status?.conditions?.find((c) => (c.type === CRASH_LOOP || c.reason === CRASH_LOOP) && c.status === 'True');
  if (loop) return { message: loop.message ?? loop.reason ?? CRASH_LOOP };
  return undefined;
}

function isDone(svc: Service, tasks: Task[], target: DesiredState): boolean {
  if (target === 'inactive') return tasks.length === 0;
  const want = svc.status?.desiredReplicas ?? (svc.spec.global ? undefined : (svc.spec.replicas ?? 1));
  if (want === undefined || tasks.length < want) return false;
  if (target === 'running') return tasks.every((t) => t.status?.phase === 'Running');
  return tasks.every((t) => !!t.spec.machine && t.status?.phase !== 'Pending' && t.status?.phase !== 'Running');
}

/** "web.service-x2k9q on 1a2b3c4d: Starting (BackOff)", one part per task. */
async function stateLine(client: Client, svc: Service, tasks: Task[], target: DesiredState, cache: Map<string, string>): Promise<string> {
  const parts = await Promise.all(
    tasks.map(async (t) => `${t.metadata.name} on ${await machineLabel(client, t.spec.machine, cache)}: ${t.status?.phase ?? 'Pending'}${t.status?.reason ? ` (${t.status.reason})` : ''}`),
  );
  const unschedulable = svc.status?.conditions?.find((c) => c.type === 'Unschedulable' && c.status === 'True')?.message;
  return `unit ${svc.metadata.name} → ${target}: ${parts.join(', ') || `not placed yet${unschedulable ? ` (${unschedulable})` : ''}`}`;
}

export async function waitUnits(client: Client, marks: UnitMark[], target: DesiredState, timeoutMs: number): Promise<void> {
  const progress = new ProgressLine();
  const deadline = Date.now() + timeoutMs;
  const cache = new Map<string, string>();
  for (const mark of marks) {
    const abort = new AbortController();
    try {
      await waitUnit(client, mark, target, { progress, deadline, cache, failedSeen: watchFailures(client, mark, abort.signal) });
    } finally {
      abort.abort();
    }
  }
}

async function waitUnit(
  client: Client,
  mark: UnitMark,
  target: DesiredState,
  ctx: { progress: ProgressLine; deadline: number; cache: Map<string, string>; failedSeen: Map<string, Task> },
): Promise<void> {
  const { name } = mark;
  const { progress, deadline, cache } = ctx;
  for (;;) {
    const svc = await client.services.get(name);
    const all = await ownedTasks(client, svc);
    const tasks = all.filter(isLiveTask);
    const failed = target === 'inactive' ? undefined : failure(svc, [...ctx.failedSeen.values(), ...all], mark);
    if (failed) {
      progress.done();
      const where = failed.task ? `: task ${failed.task.metadata.name} on ${await machineLabel(client, failed.task.spec.machine, cache)}` : '';
      throw new Error(`unit ${name} failed${where}: ${failed.message}`);
    }
    if (isDone(svc, tasks, target)) {
      progress.done();
      const where = await Promise.all(tasks.map((t) => machineLabel(client, t.spec.machine, cache)));
      const on = where.length ? ` on ${where.join(', ')}` : '';
      console.log(target === 'running' ? `Unit ${name} launched${on}` : target === 'loaded' ? `Unit ${name} loaded${on}` : `Unit ${name} inactive`);
      return;
    }
    const line = await stateLine(client, svc, tasks, target, cache);
    if (Date.now() > deadline) {
      progress.done();
      throw new Error(`timed out waiting for ${line}`);
    }
    progress.update(line);
    await sleep(200);
  }
}
