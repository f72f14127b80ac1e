// `drover run`, `drover ps`, `drover kill`: one-off processes (seed 000's process API) — a Task
// with no owner — started, listed running-first, signalled, and attached to.
import type { Command } from 'commander';
import { runAttached } from './attach.js';
import { clientFor } from './config.js';
import { printObjects } from './get.js';
import { examples } from './help.js';
import { parseRef, resolveKind, taskOrder } from './kinds.js';
import { resolveMachineName } from './machine-names.js';
import { parseFormat, UsageError } from './output.js';

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
    .option('--rm', 'with --attach: delete the task when it has finished (or on Ctrl-C: stop it, then delete it)')
    .addHelpText(
      'after',
      examples(`
        drover run hello -- echo hi                        # task/hello created
        drover run --attach -- sh -c 'echo hi; exit 3'     # prints hi, exits 3
        drover run --attach --rm -e GREETING=hi -- printenv GREETING
        drover run batch --cpu 500m --memory 256Mi --restart on-failure -- ./job.sh
        drover run pinned --machine 1a2b3c4d -- uptime     # on that machine

      Ctrl-C during --attach leaves the task running (drover delete task/NAME stops it);
      with --rm it stops and deletes the task.`),
    )
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
      const code = await runAttached(client, task.metadata.name, { rm: opts.rm });
      // Interrupted: polls and streams may still be pending; nothing is left to do.
      if (code === 130) process.exit(code);
      process.exitCode = code;
    });

  program
    .command('ps')
    .description('list tasks, running first (same as get tasks)')
    .option('-l, --selector <selector>', 'label selector')
    .option('--machine <id>', 'only tasks on this machine')
    .option('-o, --output <format>', 'table, wide, json, yaml or name', 'table')
    .option('--running', 'only tasks that are running')
    .addHelpText(
      'after',
      examples(`
        drover ps                      # every task, running first
        drover ps --running -o wide    # with pid, exit status and command
        drover ps --machine 1a2b3c4d -l app=web`),
    )
    .action(async (opts: { selector?: string; machine?: string; output: string; running?: boolean }, cmd: Command) => {
      const format = parseFormat(opts.output);
      const client = clientFor(cmd);
      const fields = [opts.machine ? `spec.machine=${await resolveMachineName(client, opts.machine)}` : '', opts.running ? 'status.phase=Running' : ''].filter(Boolean).join(',');
      const items = (await client.tasks.listAll({ labelSelector: opts.selector, fieldSelector: fields || undefined })).items.sort(taskOrder);
      if (items.length === 0 && (format === 'table' || format === 'wide')) return void console.error('no tasks found');
      await printObjects(client, resolveKind('tasks'), items, format, true);
    });

  program
    .command('kill')
    .description('send a signal to a task\'s process (default SIGTERM); its restart policy decides what follows')
    .argument('<task>', 'TASK or task/NAME')
    .option('-s, --signal <signal>', 'signal name or number: TERM, SIGKILL, 9 ...', 'SIGTERM')
    .addHelpText(
      'after',
      examples(`
        drover kill sleeper            # SIGTERM
        drover kill task/sleeper -s KILL
        drover kill sleeper -s HUP`),
    )
    .action(async (target: string, opts: { signal: string }, cmd: Command) => {
      const ref = parseRef(target, 'task');
      if (ref.kind.plural !== 'tasks') throw new UsageError(`kill signals tasks, not ${ref.kind.plural}`);
      const client = clientFor(cmd);
      const res = await client.request<{ signal: string; pid: number | null }>('POST', client.tasks.pathOf(ref.name, '/kill'), { body: { signal: opts.signal } });
      console.log(`task/${ref.name} sent ${res.body.signal}${res.body.pid ? ` (pid ${res.body.pid})` : ''}`);
    });
}
