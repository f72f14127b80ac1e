// `drover logs TASK|service/NAME`: a task's output through the server, or every task of a
// service with a per-task prefix; -f follows (and, for a service, picks up new tasks).
import type { Command } from 'commander';
import type { Client, Task } from '../client/client.js';
import { errorFromResponse } from '../client/errors.js';
import { clientFor } from './config.js';
import { isLiveTask, parseRef } from './kinds.js';
import { dim, green, toInt, yellow, UsageError } from './output.js';

export interface LogOptions {
  follow?: boolean;
  tail?: number;
  since?: string;
  timestamps?: boolean;
  stream?: 'stdout' | 'stderr';
  signal?: AbortSignal;
}

/** Opens a task's log; throws the server's error (not placed yet, agent unreachable…). */
export async function openLog(client: Client, task: string, opts: LogOptions): Promise<ReadableStream<Uint8Array>> {
  const res = await client.fetch('GET', `/api/v1/tasks/${encodeURIComponent(task)}/log`, {
    query: { follow: opts.follow || undefined, tail: opts.tail, since: opts.since, timestamps: opts.timestamps || undefined, stream: opts.stream },
    stream: true,
    signal: opts.signal,
  });
  if (!res.ok) throw errorFromResponse(res.status, await res.text());
  return res.body!;
}

/** Copies a log to `out`, each line prefixed (when a prefix is given). */
export async function pipeLog(body: ReadableStream<Uint8Array>, out: NodeJS.WritableStream, prefix = ''): Promise<void> {
  const decoder = new TextDecoder();
  let partial = '';
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      const text = decoder.decode(chunk, { stream: true });
      if (!prefix) {
        out.write(text);
        continue;
      }
      partial += text;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        out.write(`${prefix}${partial.slice(0, nl + 1)}`);
        partial = partial.slice(nl + 1);
      }
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  }
  if (partial) out.write(`${prefix}${partial}\n`);
}

const palette = [green, yellow, dim];

export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .description('print a task\'s output, or every task of a service (service/NAME) with a [task] prefix')
    .argument('<target>', 'TASK, task/NAME or service/NAME')
    .option('-f, --follow', 'keep printing new output until the task ends (for a service: until interrupted)')
    .option('--tail <lines>', 'only the last N lines of each task', toInt)
    .option('--since <when>', 'only output newer than a duration (10m, 1h) or an RFC 3339 time')
    .option('--timestamps', 'prefix every line with its time')
    .option('--stream <stream>', 'stdout or stderr only')
    .option('--prefix', 'prefix lines with the task name even for one task')
    .action(async (target: string, opts: LogOptions & { prefix?: boolean }, cmd: Command) => {
      if (opts.stream && opts.stream !== 'stdout' && opts.stream !== 'stderr') throw new UsageError(`--stream must be stdout or stderr, got "${opts.stream}"`);
      const client = clientFor(cmd);
      const ref = target.includes('/') ? parseRef(target) : { kind: { plural: 'tasks' }, name: target };
      if (ref.kind.plural === 'tasks') {
        const task = await client.tasks.find(ref.name);
        if (task) return pipeLog(await openLog(client, task.metadata.name, opts), process.stdout, opts.prefix ? `[${task.metadata.name}] ` : '');
        if (target.includes('/') || !(await client.services.find(ref.name))) throw new Error(`task "${ref.name}" not found`);
      } else if (ref.kind.plural !== 'services') throw new UsageError(`logs reads tasks and services, not ${ref.kind.plural}`);
      return serviceLogs(client, ref.name, opts);
    });
}

async function serviceLogs(client: Client, service: string, opts: LogOptions): Promise<void> {
  await client.services.get(service); // a clear "not found" first
  const selector = `metadata.owner=${service}`;
  const followed = new Set<string>();
  const running: Promise<void>[] = [];
  let colour = 0;
  const follow = (t: Task) => {
    if (followed.has(t.metadata.name) || !t.spec.machine) return;
    followed.add(t.metadata.name);
    const paint = palette[colour++ % palette.length]!;
    const prefix = `${paint(`[${t.metadata.name}]`)} `;
    running.push(
      openLog(client, t.metadata.name, opts).then(
        (body) => pipeLog(body, process.stdout, prefix),
        (err: Error) => void process.stderr.write(`${prefix}${dim(`(no log: ${err.message})`)}\n`),
      ),
    );
  };
  const tasks = (await client.tasks.listAll({ fieldSelector: selector })).items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
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
  for await (const ev of client.tasks.watch({ fieldSelector: selector })) {
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
      const phase = ev.object.status?.phase;
      if (phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') follow(ev.object);
    }
  }
  await Promise.all(running);
}

