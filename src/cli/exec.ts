// `drover exec TASK -- CMD [ARGS…]`: runs a command beside a running task, on its machine, in its
// environment and working directory, through the server (POST /api/v1/tasks/NAME/exec, which the
// server hands to the task's agent). Output comes back as NDJSON frames, stdout and stderr apart,
// and the command's exit code becomes drover's. The API takes stdin as one string sent with the
// request: -i alone reads ours to its end first. -t (with -i: -it) is the interactive session on
// a terminal instead (exec-session.ts).
import type { Command } from 'commander';
import type { Client } from '../client/client.js';
import { errorFromResponse } from '../client/errors.js';
import { clientFor } from './config.js';
import { execInteractive, exitCodeOf } from './exec-session.js';
import { examples } from './help.js';
import { parseRef } from './kinds.js';
import { UsageError } from './output.js';

interface ExecFrame {
  stream?: 'stdout' | 'stderr';
  data?: string;
  error?: string;
  exit?: { code: number | null; signal: string | null };
}

/** The running task `target` names: a task, or one running task of a service. */
async function taskOf(client: Client, target: string): Promise<string> {
  const ref = target.includes('/') ? parseRef(target) : { kind: { plural: 'tasks' }, name: target };
  if (ref.kind.plural === 'tasks') return ref.name;
  if (ref.kind.plural !== 'services') throw new UsageError(`exec runs commands in tasks, not ${ref.kind.plural}: give TASK or service/NAME`);
  await client.services.get(ref.name); // a clear "not found" first
  const tasks = (await client.tasks.listAll({ fieldSelector: `metadata.owner=${ref.name},status.phase=Running` })).items;
  const first = tasks.map((t) => t.metadata.name).sort()[0];
  if (!first) throw new Error(`service "${ref.name}" has no running task to exec in; see drover get tasks --field-selector metadata.owner=${ref.name}`);
  return first;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs the command and copies its output to ours; resolves with its exit code. */
export async function execInTask(client: Client, task: string, command: string[], stdin?: string): Promise<number> {
  const res = await client.fetch('POST', client.tasks.pathOf(task, '/exec'), { body: { command, ...(stdin !== undefined ? { stdin } : {}) }, stream: true });
  if (!res.ok) throw errorFromResponse(res.status, await res.text());
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body! as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      const frame = JSON.parse(line) as ExecFrame;
      if (frame.stream === 'stdout') process.stdout.write(frame.data ?? '');
      else if (frame.stream === 'stderr') process.stderr.write(frame.data ?? '');
      else if (frame.error) process.stderr.write(`drover: ${frame.error}\n`);
      else if (frame.exit) return exitCodeOf({ exitCode: frame.exit.code, signal: frame.exit.signal });
    }
  }
  throw new Error(`the connection to ${client.server} ended before the command in task "${task}" finished; its exit code is unknown`);
}

export function registerExecCommand(program: Command): void {
  program
    .command('exec')
    .description('run a command in a running task\'s environment on its machine: drover exec TASK -- CMD [ARGS...]; exits with its code')
    .argument('<task>', 'TASK, task/NAME, or service/NAME (its first running task)')
    .argument('[command...]', 'after --: the program and its arguments')
    .option('-i, --stdin', 'send our standard input to the command (without -t: read to its end first)')
    .option('-t, --tty', 'run the command on a terminal: with -i an interactive session, our terminal in raw mode')
    .addHelpText(
      'after',
      examples(`
        drover exec web-7f3k2 -- ls -l /srv
        drover exec -it web-7f3k2 -- sh                         # a shell on a terminal, beside the task
        drover exec service/web -- sh -c 'echo $DROVER_TASK'   # the first running task of web
        echo 'select 1;' | drover exec -i db-x2k9q -- psql      # stdin, sent whole
        drover exec web-7f3k2 -- false; echo $?                 # 1: the command's exit code`),
    )
    .action(async (target: string, command: string[], opts: { stdin?: boolean; tty?: boolean }, cmd: Command) => {
      if (command.length === 0) throw new UsageError('exec needs a command after --, e.g. drover exec web-7f3k2 -- ls -l');
      const client = clientFor(cmd);
      const task = await taskOf(client, target);
      if (opts.tty) {
        process.exitCode = await execInteractive(client, task, command, Boolean(opts.stdin));
        return;
      }
      const stdin = opts.stdin ? await readStdin() : undefined;
      process.exitCode = await execInTask(client, task, command, stdin);
    });
}
