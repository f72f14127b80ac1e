// `drover port-forward task/NAME LOCAL:REMOTE`: listens on 127.0.0.1:LOCAL and carries each
// connection to 127.0.0.1:REMOTE on the task's machine, through the server (one HTTP Upgrade per
// connection, authorized like exec), as kubectl port-forward does.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { Command } from 'commander';
import type { Client } from '../client/client.js';
import { openPortForward } from '../client/port-forward.js';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { parseRef } from './kinds.js';
import { UsageError } from './output.js';

/** "8080:80" → 8080 and 80; "80" → 80 and 80; ":80" → any free local port and 80. */
export function parsePorts(spec: string): { local: number; remote: number } {
  const m = /^(\d*):(\d+)$|^(\d+)$/.exec(spec);
  const valid = (n: number, zeroOk: boolean) => Number.isInteger(n) && n <= 65535 && (zeroOk ? n >= 0 : n >= 1);
  if (m) {
    const remote = Number(m[2] ?? m[3]);
    const local = m[3] !== undefined ? remote : m[1] === '' ? 0 : Number(m[1]);
    if (valid(local, true) && valid(remote, false)) return { local, remote };
  }
  throw new UsageError(`expected LOCAL:REMOTE ports like 8080:80 (or 80, or :80 for any free local port), got "${spec}"`);
}

async function runningTask(client: Client, target: string): Promise<string> {
  const ref = target.includes('/') ? parseRef(target) : { kind: { plural: 'tasks' }, name: target };
  if (ref.kind.plural !== 'tasks') throw new UsageError(`port-forward reaches tasks, not ${ref.kind.plural}: give NAME or task/NAME`);
  const task = await client.tasks.get(ref.name);
  if (task.status?.phase !== 'Running') throw new Error(`task "${ref.name}" is not running (phase ${task.status?.phase ?? 'Pending'})`);
  return ref.name;
}

function forward(client: Client, task: string, remote: number, local: Socket): void {
  local.pause();
  local.on('error', () => local.destroy());
  openPortForward(client, task, remote).then(
    (tunnel) => {
      tunnel.on('error', () => tunnel.destroy());
      local.once('close', () => tunnel.destroy());
      tunnel.once('close', () => local.destroy());
      local.pipe(tunnel);
      tunnel.pipe(local);
      local.resume();
    },
    (err: Error) => {
      process.stderr.write(`error: forwarding a connection to port ${remote} of task "${task}": ${err.message}\n`);
      local.destroy();
    },
  );
}

export function registerPortForwardCommand(program: Command): void {
  program
    .command('port-forward')
    .description('forward local TCP connections to a port of a running task, on its machine, through the server')
    .argument('<task>', 'NAME or task/NAME')
    .argument('<ports>', 'LOCAL:REMOTE (or PORT for both, or :REMOTE for any free local port)')
    .option('--address <address>', 'local address to listen on', '127.0.0.1')
    .addHelpText(
      'after',
      examples(`
        drover port-forward task/web-7f3k2 8080:8000   # http://127.0.0.1:8080 reaches the task's port 8000
        drover port-forward web-7f3k2 :8000 -n shop    # any free local port, in namespace shop`),
    )
    .action(async (target: string, ports: string, opts: { address: string }, cmd: Command) => {
      const { local, remote } = parsePorts(ports);
      const client = clientFor(cmd);
      const task = await runningTask(client, target);
      const open = new Set<Socket>();
      const server = createServer((socket) => {
        open.add(socket);
        socket.once('close', () => open.delete(socket));
        forward(client, task, remote, socket);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code === 'EADDRINUSE' ? `local port ${local} is already in use; pick another (or :${remote} for any free one)` : err.message)));
        server.listen(local, opts.address, () => resolve());
      });
      const actual = (server.address() as AddressInfo).port;
      process.stdout.write(`Forwarding from ${opts.address}:${actual} -> ${remote}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          server.close();
          for (const s of open) s.destroy();
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
