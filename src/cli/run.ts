// `drover run`, `drover ps`, `drover kill`: one-off processes (seed 000's process API) — a Task
// with no owner — started, listed running-first, signalled, and attached to.
import { constants } from 'node:os';
import type { Command } from 'commander';
import type { Client, Task } from '../client/client.js';
import { clientFor } from './config.js';
import { parseRef, taskOrder } from './kinds.js';
import { printObjects } from './get.js';
import { openLog, pipeLog } from './logs.js';
import { resolveMachineName } from './machine-names.js';
import { parseFormat, sleep, UsageError } from './output.js';

const FINAL = new Set(['Succeeded', 'Failed', 'Lost']);

function parseEnv(values: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env takes NAME=VALUE, got "${v}"`);
    env[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return env;
}

function parseLabels(values: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const v of values.flatMap((s) => s.split(','))) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--label takes key=value, got "${v}"`);
    labels[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return labels;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** The exit code a finished task stands for, as a shell would report it. */
export function exitCodeOf(t: Task): number {
  if (t.status?.phase === 'Succeeded') return 0;
  if (typeof t.status?.exitCode === 'number') return t.status.exitCode;
  const sig = t.status?.signal;
  if (sig && sig in constants.signals) return 128 + constants.signals[sig as NodeJS.Signals];
  return 1;
}

/** Polls until the task reaches a final phase (the agent reports the exit status to the server). */
export async function waitFinished(client: Client, name: string): Promise<Task> {
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const t = await client.tasks.get(name);
    if (FINAL.has(t.status?.phase ?? '')) return t;
    await sleep(delay);
  }
}

/** Streams a task's stdout and stderr to ours until it ends, then returns its final state. */
export async function attach(client: Client, name: string): Promise<Task> {
  // The log exists once the agent has taken the task: wait for that, not just for placement.
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const t = await client.tasks.get(name);
    const phase = t.status?.phase ?? 'Pending';
    if (phase === 'Lost') return t;
    if (t.spec.machine && ['Starting', 'Running', 'Succeeded', 'Failed', 'Stopped'].includes(phase)) break;
    await sleep(delay);
  }
  const streams = await Promise.allSettled([
    openLog(client, name, { follow: true, stream: 'stdout' }).then((b) => pipeLog(b, process.stdout)),
    openLog(client, name, { follow: true, stream: 'stderr' }).then((b) => pipeLog(b, process.stderr)),
  ]);
  for (const s of streams) if (s.status === 'rejected') process.stderr.write(`drover: cannot read the task's output: ${(s.reason as Error).message}\n`);
  return waitFinished(client, name);
}

export function registerRunCommands(program: Command): void {
  program
    .command('run')
    .description('start a one-off process: drover run [NAME] [options] -- CMD ARGS...')
    .argument('[name]', 'task name (default: generated, task-xxxxx)')
    .argument('[command...]', 'after --: the program and its arguments')
    .option('-e, --env <NAME=VALUE>', 'environment variable (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory')
    .option('-l, --label <key=value>', 'label (repeatable, or comma-separated)', collect, [])
    .option('--machine <id>', 'run on this machine (ID or unique prefix) instead of letting the scheduler choose')
    .option('--restart <policy>', 'never (default), on-failure or always', 'never')
    .option('--cpu <quantity>', 'cpu to reserve, e.g. 100m')
    .option('--memory <quantity>', 'memory to reserve, e.g. 64Mi')
    .option('-a, --attach', 'stream the output and exit with the process\'s exit code')
    .option('--rm', 'with --attach: delete the task when it has finished')
    .action(async (nameArg: string | undefined, commandArgs: string[], opts: { env: string[]; workdir?: string; label: string[]; machine?: string; restart: string; cpu?: string; memory?: string; attach?: boolean; rm?: boolean }, cmd: Command) => {
      const dash = process.argv.indexOf('--');
      const command = dash >= 0 ? process.argv.slice(dash + 1) : commandArgs;
      const operands = nameArg === undefined ? [] : [nameArg, ...commandArgs];
      const name = operands.length > command.length ? operands[0] : undefined;
      if (command.length === 0) throw new UsageError('run needs a command after --, e.g. drover run hello -- echo hi');
      if (!['never', 'on-failure', 'always'].includes(opts.restart)) throw new UsageError(`--restart must be never, on-failure or always, got "${opts.restart}"`);
      if (opts.rm && !opts.attach) throw new UsageError('--rm needs --attach');
      const client = clientFor(cmd);
      const resources = opts.cpu || opts.memory ? { ...(opts.cpu ? { cpu: opts.cpu } : {}), ...(opts.memory ? { memory: opts.memory } : {}) } : undefined;
      const machine = opts.machine ? await resolveMachineName(client, opts.machine) : undefined;
      const labels = parseLabels(opts.label);
      const task = await client.tasks.create({
        metadata: { ...(name ? { name } : {}), ...(Object.keys(labels).length ? { labels } : {}) },
        spec: {
          ...(machine ? { machine } : {}),
          template: {
            command,
            restartPolicy: opts.restart as 'never',
            ...(opts.env.length ? { env: parseEnv(opts.env) } : {}),
            ...(opts.workdir ? { workingDir: opts.workdir } : {}),
            ...(resources ? { resources } : {}),
          },
        },
      });
      if (!opts.attach) {
        console.log(`task/${task.metadata.name} created`);
        return;
      }
      const done = await attach(client, task.metadata.name);
      if (opts.rm) await client.tasks.delete(task.metadata.name).catch(() => undefined);
      const code = exitCodeOf(done);
      if (done.status?.phase === 'Lost') process.stderr.write(`drover: task ${done.metadata.name} was lost: ${done.status.message ?? 'its machine stopped answering'}\n`);
      process.exitCode = code;
    });

  program
    .command('ps')
    .description('list tasks, running first (same as get tasks)')
    .option('-l, --selector <selector>', 'label selector')
    .option('--machine <id>', 'only tasks on this machine')
    .option('-o, --output <format>', 'table, wide, json, yaml or name', 'table')
    .option('--running', 'only tasks that are running')
    .action(async (opts: { selector?: string; machine?: string; output: string; running?: boolean }, cmd: Command) => {
      const format = parseFormat(opts.output);
      const client = clientFor(cmd);
      const fields = [opts.machine ? `spec.machine=${await resolveMachineName(client, opts.machine)}` : '', opts.running ? 'status.phase=Running' : ''].filter(Boolean).join(',');
      const items = (await client.tasks.listAll({ labelSelector: opts.selector, fieldSelector: fields || undefined })).items.sort(taskOrder);
      if (items.length === 0 && (format === 'table' || format === 'wide')) return void console.error('no tasks found');
      await printObjects(client, { kind: 'Task', plural: 'tasks', singular: 'task' }, items, format, true);
    });

  program
    .command('kill')
    .description('send a signal to a task\'s process (default SIGTERM); its restart policy decides what follows')
    .argument('<task>', 'TASK or task/NAME')
    .option('-s, --signal <signal>', 'signal name or number: TERM, SIGKILL, 9 ...', 'SIGTERM')
    .action(async (target: string, opts: { signal: string }, cmd: Command) => {
      const ref = parseRef(target, 'task');
      if (ref.kind.plural !== 'tasks') throw new UsageError(`kill signals tasks, not ${ref.kind.plural}`);
      const client = clientFor(cmd);
      const res = await client.request<{ signal: string; pid: number | null }>('POST', `/api/v1/tasks/${encodeURIComponent(ref.name)}/kill`, { body: { signal: opts.signal } });
      console.log(`task/${ref.name} sent ${res.body.signal}${res.body.pid ? ` (pid ${res.body.pid})` : ''}`);
    });
}
