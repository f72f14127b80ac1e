// `drover server` as a child process, for tests that must kill the server itself with SIGKILL
// (the in-process test server can only be closed). Authenticated, on plain HTTP as `drover dev`
// serves agents, on a fixed port so agents find it again after a restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from '../../src/client/client.js';
import { packageRoot } from '../../src/paths.js';
import { tempDir, until } from '../helpers.js';

export interface ServerProcess {
  url: string;
  dir: string;
  client: Client;
  adminToken: string;
  /** Kills the server with SIGKILL and starts another on the same port and data dir. */
  restart(opts?: { dataDir?: string }): Promise<void>;
  close(): Promise<void>;
}

export interface ServerProcessOptions {
  machineGraceSeconds?: number;
}

/** A port free right now: the kernel's pick for port 0, released for the server to take. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

export async function startServerProcess(opts: ServerProcessOptions = {}): Promise<ServerProcess> {
  const dir = tempDir('drover-server-');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [join(packageRoot, 'bin', 'drover.js'), 'server', '--listen', `127.0.0.1:${port}`, '--data', dir, '--insecure-http', '--no-write-context', '--log-level', 'warn', '--machine-grace', String(opts.machineGraceSeconds ?? 4)];
  let child: ChildProcess;
  let output = '';
  let exited: Promise<void>;

  const launch = async (): Promise<string> => {
    child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    exited = new Promise<void>((r) => child.once('exit', () => r()));
    const tokenFile = join(dir, 'admin.token');
    return until(async () => {
      if (child.exitCode !== null) throw new Error(`drover server exited with ${child.exitCode}: ${output.slice(-4000)}`);
      if (!existsSync(tokenFile)) return false;
      const token = readFileSync(tokenFile, 'utf8').trim();
      try {
        const res = await fetch(`${url}/readyz`, { headers: { authorization: `Bearer ${token}` } });
        return res.ok && token;
      } catch {
        return false;
      }
    }, 'drover server to be ready', 30_000);
  };

  const adminToken = await launch();
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return {
    url,
    dir,
    adminToken,
    client: new Client({ server: url, credentials: { token: adminToken } }),
    restart: async (o?: { dataDir?: string }) => {
      if (o?.dataDir) throw new Error('a server process restarts on its own data dir only');
      await kill();
      const again = await launch();
      if (again !== adminToken) throw new Error('the restarted server made a new administrator token: it did not find its store');
    },
    close: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
