// `drover rollout status|pause|resume|undo|history service/NAME`: watching a service converge,
// with a progress line on a TTY and plain lines otherwise, and steering its rolling update.
import { isDeepStrictEqual } from 'node:util';
import type { Command } from 'commander';
import type { Client, Service, Task } from '../client/client.js';
import { RESTARTED_AT_ANNOTATION, restartPatch } from '../model/restart.js';
import { PREVIOUS_TEMPLATE_ANNOTATION } from './apply-object.js';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { isLiveTask, parseRef } from './kinds.js';
import { parseDuration, ProgressLine, sleep, UsageError } from './output.js';
import { HISTORY_HELP, printHistory } from './rollout-history.js';
import { openLog } from './task-log.js';

function serviceRef(arg: string): string {
  const ref = parseRef(arg, 'service');
  if (ref.kind.plural !== 'services') throw new UsageError(`rollout works on services, not ${ref.kind.plural}`);
  return ref.name;
}

/** Whether the service has converged on its current spec, and a line saying where it is. */
export function rolloutState(s: Service): { isDone: boolean; message: string } {
  const st = s.status ?? {};
  const desired = st.desiredReplicas ?? s.spec.replicas ?? 1;
  const name = `service/${s.metadata.name}`;
  if ((st.observedGeneration ?? 0) < s.metadata.generation) return { isDone: false, message: `${name}: waiting for the controller to see generation ${s.metadata.generation}` };
  if (s.spec.desiredState === 'inactive') return { isDone: (st.replicas ?? 0) === 0, message: `${name}: inactive, ${st.replicas ?? 0} tasks left` };
  if (s.spec.paused && (st.updatedReplicas ?? 0) < desired) return { isDone: false, message: `${name}: rollout paused at ${st.updatedReplicas ?? 0}/${desired} updated (drover rollout resume ${name})` };
  const updated = st.updatedReplicas ?? 0;
  const ready = st.readyReplicas ?? 0;
  const total = st.replicas ?? 0;
  if (s.spec.desiredState === 'loaded') return { isDone: updated >= desired && total === desired, message: `${name}: ${updated}/${desired} tasks loaded` };
  if (updated < desired) return { isDone: false, message: `${name}: ${updated} of ${desired} tasks updated, ${ready} ready` };
  if (total > desired) return { isDone: false, message: `${name}: ${total - desired} old tasks waiting to stop` };
  if (ready < desired) return { isDone: false, message: `${name}: ${ready} of ${desired} updated tasks ready` };
  return { isDone: true, message: `${name} rolled out: ${ready}/${desired} ready` };
}

/** Restarts in a row after which a task of the current template is taken as unable to run. */
export const STUCK_RESTARTS = 5;

/**
 * Why the rollout cannot progress, if it cannot: the service's crash loop (its tasks finish and
 * are replaced with a backoff), or a task of the current template its agent keeps restarting
 * (e.g. "Address already in use"). A task that is only slow is not a blocker: the timeout is.
 */
export function rolloutBlocker(s: Service, tasks: Task[]): { message: string; task?: string } | undefined {
  const pastDeadline = deadlineExceeded(s);
  if (pastDeadline) return { message: pastDeadline };
  const loop = s.status?.conditions?.find((c) => c.type === 'CrashLoopBackOff' && c.status === 'True');
  if (loop) return { message: loop.message ?? 'CrashLoopBackOff' };
  const stuck = tasks.find(
    (t) => isLiveTask(t) && isDeepStrictEqual(t.spec.template, s.spec.template) && (t.status?.restarts ?? 0) >= STUCK_RESTARTS && t.status?.reason === 'BackOff',
  );
  if (stuck) return { task: stuck.metadata.name, message: `task ${stuck.metadata.name} keeps failing (${stuck.status!.restarts} restarts): ${stuck.status!.message ?? 'no message'}` };
  return undefined;
}

/** The server's verdict that the rollout is stuck (Progressing=False, ProgressDeadlineExceeded), for the current spec. */
export function deadlineExceeded(s: Service): string | undefined {
  if ((s.status?.observedGeneration ?? 0) < s.metadata.generation) return undefined;
  const c = s.status?.conditions?.find((x) => x.type === 'Progressing' && x.status === 'False' && x.reason === 'ProgressDeadlineExceeded');
  return c ? (c.message ?? 'ProgressDeadlineExceeded') : undefined;
}

/** The last lines a task wrote, to say why it fails in its own words; empty when they cannot be read. */
async function lastLines(client: Client, task: string, n: number): Promise<string> {
  try {
    return (await new Response(await openLog(client, task, { tail: n })).text()).trimEnd();
  } catch {
    return '';
  }
}

async function rolloutStatus(client: Client, name: string, timeoutMs: number, watch: boolean): Promise<void> {
  const progress = new ProgressLine(process.stdout);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await client.services.get(name);
    const { isDone, message } = rolloutState(s);
    if (isDone || !watch) {
      progress.done(message);
      if (!isDone && !watch) {
        process.exitCode = 1;
        const stuck = deadlineExceeded(s);
        if (stuck) console.error(`error: service "${name}" cannot roll out: ${stuck} (drover rollout undo service/${name} goes back)`);
      }
      return;
    }
    const tasks = (await client.tasks.listAll({ fieldSelector: `metadata.owner=${name}` })).items.filter((t) => t.metadata.ownerReferences?.some((r) => r.uid === s.metadata.uid));
    const blocker = rolloutBlocker(s, tasks);
    if (blocker) {
      progress.done(message);
      const output = blocker.task ? await lastLines(client, blocker.task, 3) : '';
      const hint = blocker.task
        ? `\n(drover logs ${blocker.task}; drover describe task/${blocker.task})`
        : `\n(drover describe service/${name}${deadlineExceeded(s) ? `; drover rollout undo service/${name} goes back` : ''})`;
      throw new Error(`service "${name}" cannot roll out: ${blocker.message}${output ? `\nits last output:\n${output.replace(/^/gm, '  ')}` : ''}${hint}`);
    }
    progress.update(message);
    if (Date.now() > deadline) {
      progress.done();
      const unschedulable = s.status?.conditions?.find((c) => c.type === 'Unschedulable' && c.status === 'True');
      throw new Error(`timed out waiting for service "${name}" to roll out: ${message}${unschedulable ? ` (${unschedulable.message})` : ''}`);
    }
    await sleep(250);
  }
}

export function registerRolloutCommands(program: Command): void {
  const rollout = program
    .command('rollout')
    .description('follow and steer a service\'s rolling update')
    .addHelpText(
      'after',
      `\nundo restores the template recorded in the annotation ${PREVIOUS_TEMPLATE_ANNOTATION}, which drover apply, edit and\nrollout undo write whenever they change a service's template (changes made by other clients are not recorded).\n${examples(`
        drover rollout status service/web      # wait until every task runs the current template
        drover rollout history service/web
        drover rollout restart service/web     # replace every task, by the service's update rules
        drover rollout undo service/web`)}`,
    );

  rollout
    .command('status')
    .description('wait until the service runs its current template everywhere (exit 1 on timeout)')
    .argument('<service>', 'service/NAME or NAME')
    .option('--timeout <duration>', 'give up after this long', '5m')
    .option('--no-watch', 'print the state once and exit (1 if not rolled out)')
    .addHelpText(
      'after',
      examples(`
        drover rollout status service/web
        drover rollout status web --timeout 2m
        drover rollout status web --no-watch   # once; exit 1 if not rolled out`),
    )
    .action(async (arg: string, opts: { timeout: string; watch: boolean }, cmd: Command) => {
      await rolloutStatus(clientFor(cmd), serviceRef(arg), parseDuration(opts.timeout, '--timeout'), opts.watch);
    });

  for (const [verb, paused] of [['pause', true], ['resume', false]] as const) {
    rollout
      .command(verb)
      .description(paused ? 'stop replacing tasks (lost tasks are still replaced)' : 'continue a paused rollout')
      .argument('<service>', 'service/NAME or NAME')
      .addHelpText('after', examples(`drover rollout ${verb} service/web`))
      .action(async (arg: string, _opts: unknown, cmd: Command) => {
        const name = serviceRef(arg);
        const client = clientFor(cmd);
        const before = await client.services.get(name);
        if (!!before.spec.paused === paused) return void console.log(`service/${name} already ${paused ? 'paused' : 'resumed'}`);
        await client.services.patch(name, { spec: { paused: paused ? true : null } });
        console.log(`service/${name} ${paused ? 'paused' : 'resumed'}`);
      });
  }

  rollout
    .command('restart')
    .description(`replace every task of the service, by its rolling-update rules (sets the template annotation ${RESTARTED_AT_ANNOTATION})`)
    .argument('<service>', 'service/NAME or NAME')
    .addHelpText(
      'after',
      examples(`
        drover rollout restart service/web
        drover rollout restart web && drover rollout status web`),
    )
    .action(async (arg: string, _opts: unknown, cmd: Command) => {
      const name = serviceRef(arg);
      // A merge patch touches only the annotation: a change made meanwhile to the rest stays.
      await clientFor(cmd).services.patch(name, restartPatch());
      console.log(`service/${name} restarted`);
    });

  rollout
    .command('undo')
    .description(`go back to the template before the last change made through the CLI (from the ${PREVIOUS_TEMPLATE_ANNOTATION} annotation)`)
    .argument('<service>', 'service/NAME or NAME')
    .addHelpText(
      'after',
      examples(`
        drover rollout undo service/web        # back to the previous template
        drover rollout undo service/web        # again: forward to the one undone`),
    )
    .action(async (arg: string, _opts: unknown, cmd: Command) => {
      const name = serviceRef(arg);
      const client = clientFor(cmd);
      const current = await client.services.get(name);
      const recorded = current.metadata.annotations?.[PREVIOUS_TEMPLATE_ANNOTATION];
      if (!recorded) throw new Error(`service "${name}" has no previous template recorded; only changes made with drover apply, edit or rollout undo can be undone`);
      const previous = JSON.parse(recorded) as Service['spec']['template'];
      // A JSON patch replaces the template whole (a merge patch kept the fields added since) and
      // records the one it replaces (undo twice is redo), in one write based on the revision read.
      const key = PREVIOUS_TEMPLATE_ANNOTATION.replace(/~/g, '~0').replace(/\//g, '~1');
      await client.services.patch(
        name,
        [
          { op: 'replace', path: '/spec/template', value: previous },
          { op: 'add', path: `/metadata/annotations/${key}`, value: JSON.stringify(current.spec.template) },
        ],
        { type: 'json', ifMatch: current.metadata.revision },
      );
      console.log(`service/${name} rolled back`);
    });

  rollout
    .command('history')
    .description('the templates a service went through, as far as the API shows them (see --help)')
    .argument('<service>', 'service/NAME or NAME')
    .addHelpText(
      'after',
      `${HISTORY_HELP}\n${examples(`
        drover rollout history service/web
        drover rollout undo service/web        # back to the row marked previous`)}`,
    )
    .action(async (arg: string, _opts: unknown, cmd: Command) => printHistory(clientFor(cmd), serviceRef(arg)));
}
