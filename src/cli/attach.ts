// `drover run --attach`: a one-off task's output streamed to ours until it ends, its exit code
// as ours. Ctrl-C detaches and says the task keeps running (and how to stop it); with --rm it
// stops and deletes the task first, as `docker run --rm` does.
import { constants } from 'node:os';
import type { Client, Task } from '../client/client.js';
import { TERMINAL_PHASES } from '../model/index.js';
import { ConnectionNotice } from './connection-notice.js';
import { sleep } from './output.js';
import { followLog } from './task-log.js';

/** The exit code a finished task stands for, as a shell would report it. */
export function exitCodeOf(t: Task): number {
  if (t.status?.phase === 'Succeeded') return 0;
  if (typeof t.status?.exitCode === 'number') return t.status.exitCode;
  const sig = t.status?.signal;
  if (sig && sig in constants.signals) return 128 + constants.signals[sig as NodeJS.Signals];
  return 1;
}

/** Polls until the task reaches a final phase (the agent reports the exit status to the server). */
export async function waitFinished(client: Client, name: string, signal?: AbortSignal): Promise<Task> {
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const t = await client.tasks.get(name);
    if (TERMINAL_PHASES.has(t.status?.phase ?? '') || signal?.aborted) return t;
    await sleep(delay);
  }
}

/** Streams a task's stdout and stderr to ours until it ends, then returns its final state. */
async function attach(client: Client, name: string, signal: AbortSignal): Promise<Task> {
  // The log exists once the agent has taken the task: wait for that, not just for placement.
  for (let delay = 50; !signal.aborted; delay = Math.min(delay * 2, 500)) {
    const t = await client.tasks.get(name);
    const phase = t.status?.phase ?? 'Pending';
    if (phase === 'Lost') return t;
    if (t.spec.machine && ['Starting', 'Running', 'Succeeded', 'Failed', 'Stopped'].includes(phase)) break;
    await sleep(delay);
  }
  const notice = new ConnectionNotice(() => client.server);
  const streams = await Promise.allSettled(
    (['stdout', 'stderr'] as const).map((stream) => followLog(client, name, (line) => process[stream].write(line), { stream, signal, notice })),
  );
  for (const s of streams) if (s.status === 'rejected') process.stderr.write(`drover: cannot read the task's output: ${(s.reason as Error).message}\n`);
  return waitFinished(client, name, signal);
}

/**
 * Attaches to the task; resolves with the exit code drover should exit with (the task's, or 130
 * after Ctrl-C). With `rm`, the task is deleted when it has finished or on Ctrl-C.
 */
export async function runAttached(client: Client, name: string, opts: { rm?: boolean }): Promise<number> {
  const abort = new AbortController();
  let onInterrupt!: () => void;
  const interrupted = new Promise<'interrupted'>((resolve) => process.once('SIGINT', (onInterrupt = () => resolve('interrupted'))));
  const outcome = await Promise.race([attach(client, name, abort.signal), interrupted]);
  process.removeListener('SIGINT', onInterrupt);
  abort.abort();
  if (outcome !== 'interrupted') {
    if (opts.rm) await client.tasks.delete(name).catch(() => undefined);
    if (outcome.status?.phase === 'Lost') process.stderr.write(`drover: task ${name} was lost: ${outcome.status.message ?? 'its machine stopped answering'}\n`);
    return exitCodeOf(outcome);
  }
  if (!opts.rm) {
    process.stderr.write(`\ndrover: detached; task/${name} keeps running (stop it with: drover delete task/${name})\n`);
    return 130;
  }
  process.stderr.write(`\ndrover: stopping and deleting task/${name} (Ctrl-C again to leave that to the server)\n`);
  process.once('SIGINT', () => {
    process.stderr.write(`drover: task/${name} is being deleted by the server\n`);
    process.exit(130);
  });
  await deleteAndWait(client, name);
  process.stderr.write(`drover: task/${name} stopped and deleted\n`);
  return 130;
}

/** Deletes the task and waits until its agent has stopped it (its finalizer goes, then the task). */
async function deleteAndWait(client: Client, name: string): Promise<void> {
  let uid: string;
  try {
    uid = (await client.tasks.delete(name)).metadata.uid;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return;
    throw err;
  }
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const t = await client.tasks.find(name);
    if (!t || t.metadata.uid !== uid) return;
    await sleep(delay);
  }
}
