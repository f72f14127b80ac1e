// `drover logs TASK|service/NAME`: a task's output through the server, or every task of a
// service with a per-task prefix; -f follows (and, for a service, picks up new tasks), saying
// on stderr when it loses the server and when it has it back.
import type { Command } from 'commander';
import type { Client, Task } from '../client/client.js';
import { JOB_LABEL } from '../model/index.js';
import { clientFor } from './config.js';
import { ConnectionNotice } from './connection-notice.js';
import { examples } from './help.js';
import { isLiveTask, parseRef } from './kinds.js';
import { followLog, openLog, pipeLog, type LogOptions } from './task-log.js';
import { dim, green, toInt, yellow, UsageError } from './output.js';

const palette = [green, yellow, dim];

export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .description('print a task\'s output, or every task of a service (service/NAME) or of a job\'s runs (job/NAME) with a [task] prefix')
    .argument('<target>', 'TASK, task/NAME, service/NAME or job/NAME')
    .option('-f, --follow', 'keep printing new output until the task ends (for a service: until interrupted)')
    .option('--tail <lines>', 'only the last N lines of each task', toInt)
    .option('--since <when>', 'only output newer than a duration (10m, 1h) or an RFC 3339 time')
    .option('--timestamps', 'prefix every line with its time')
    .option('--stream <stream>', 'stdout or stderr only')
    .option('--prefix', 'prefix lines with the task name even for one task')
    .addHelpText(
      'after',
      examples(`
        drover logs web-7f3k2                    # one task's output so far
        drover logs -f web-7f3k2 --tail 20       # the last 20 lines, then new ones until it ends
        drover logs -f service/web               # every task of web, [task] prefixed, new tasks too
        drover logs task/backup --since 10m --stream stderr
        drover logs job/nightly-1767225600      # every run of a job`),
    )
    .action(async (target: string, opts: LogOptions & { prefix?: boolean }, cmd: Command) => {
      if (opts.stream && opts.stream !== 'stdout' && opts.stream !== 'stderr') throw new UsageError(`--stream must be stdout or stderr, got "${opts.stream}"`);
      const client = clientFor(cmd);
      const ref = target.includes('/') ? parseRef(target) : { kind: { plural: 'tasks' }, name: target };
      if (ref.kind.plural === 'tasks') {
        const task = await client.tasks.find(ref.name);
        const prefix = opts.prefix && task ? `[${task.metadata.name}] ` : '';
        if (task && opts.follow) return followLog(client, task.metadata.name, (line) => process.stdout.write(prefix + line), { ...opts, notice: new ConnectionNotice(() => client.server) });
        if (task) return pipeLog(await openLog(client, task.metadata.name, opts), process.stdout, prefix);
        if (target.includes('/') || !(await client.services.find(ref.name))) throw new Error(`task "${ref.name}" not found`);
      } else if (ref.kind.plural === 'jobs') {
        await client.jobs.get(ref.name); // a clear "not found" first
        return ownedLogs(client, `${JOB_LABEL}=${ref.name}`, undefined, opts);
      } else if (ref.kind.plural !== 'services') throw new UsageError(`logs reads tasks, services and jobs, not ${ref.kind.plural}`);
      await client.services.get(ref.name); // a clear "not found" first
      return ownedLogs(client, undefined, `metadata.owner=${ref.name}`, opts);
    });
}

/** The logs of the tasks a label or field selector finds (a service's, a job's runs). */
async function ownedLogs(client: Client, labelSelector: string | undefined, fieldSelector: string | undefined, opts: LogOptions): Promise<void> {
  const followed = new Set<string>();
  const running: Promise<void>[] = [];
  const notice = new ConnectionNotice(() => client.server);
  let colour = 0;
  const follow = (t: Task) => {
    if (followed.has(t.metadata.name) || !t.spec.machine) return;
    followed.add(t.metadata.name);
    const paint = palette[colour++ % palette.length]!;
    const prefix = `${paint(`[${t.metadata.name}]`)} `;
    running.push(
      followLog(client, t.metadata.name, (line) => process.stdout.write(prefix + line), { ...opts, notice }).catch(
        (err: Error) => void process.stderr.write(`${prefix}${dim(`(no log: ${err.message})`)}\n`),
      ),
    );
  };
  const tasks = (await client.tasks.listAll({ labelSelector, fieldSelector })).items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  if (!opts.follow) {
    for (const t of tasks.filter((t) => t.spec.machine)) {
      followed.add(t.metadata.name);
      const prefix = `[${t.metadata.name}] `;
      try {
        await pipeLog(await openLog(client, t.metadata.name, opts), process.stdout, prefix);
      } catch (err) {
        process.stderr.write(`${prefix}(no log: ${(err as Error).message})\n`);
      }
    }
    return;
  }
  for (const t of tasks.filter(isLiveTask)) follow(t);
  // New tasks (replacements, scale-ups) join the stream once they run somewhere.
  for await (const ev of client.tasks.watch({ labelSelector, fieldSelector, onDisconnect: notice.lost, onReconnect: notice.resumed })) {
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
      const phase = ev.object.status?.phase;
      if (phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') follow(ev.object);
    }
  }
  await Promise.all(running);
}

