// Runs the built `drover` binary as a child process, the way an operator does, with its config
// file in a temp dir (never the user's) and without colour.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '../../src/client/client.js';
import { tlsDispatcher } from '../../src/client/transport.js';
import { connectionOf, readConfig } from '../../src/cli/config.js';
import { packageRoot } from '../../src/paths.js';
import { tempDir, until, withListenPort } from '../helpers.js';

export const droverBin = join(packageRoot, 'bin', 'drover.js');

export interface DroverResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface DroverOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
  timeoutMs?: number;
}

const configDir = tempDir('drover-cli-config-');

/** The environment every CLI test starts from: a private config file, no colour, no server set. */
export function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DROVER_CONFIG: join(configDir, 'config.yaml'), NO_COLOR: '1' };
  delete env.DROVER_SERVER;
  delete env.XDG_CONFIG_HOME;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function startDrover(args: string[], opts: DroverOptions = {}): ChildProcess {
  return spawn(process.execPath, [droverBin, ...args], { env: baseEnv(opts.env), cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function drover(args: string[], opts: DroverOptions = {}): Promise<DroverResult> {
  const child = startDrover(args, opts);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin!.end(opts.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A drover command against `server` (with `token`, the credential of a server that authenticates);
 * `ok` fails the test with its output unless it exits 0.
 */
export function cli(server: string, token?: string) {
  const run = (args: string[], opts: DroverOptions = {}) => drover(['--server', server, ...args], token ? { ...opts, env: { DROVER_TOKEN: token, ...opts.env } } : opts);
  return {
    run,
    ok: async (args: string[], opts: DroverOptions = {}): Promise<string> => {
      const r = await run(args, opts);
      if (r.code !== 0) throw new Error(`drover ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      return r.stdout;
    },
  };
}

/** Collects a long-running command's output until `until` is satisfied, then kills it. */
export async function streamUntil(child: ChildProcess, isDone: (stdout: string) => boolean, timeoutMs = 15_000): Promise<string> {
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${timeoutMs} ms; stdout so far:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (isDone(stdout)) {
        clearTimeout(timer);
        child.kill('SIGTERM');
        resolve(stdout);
      }
    });
    child.on('close', () => {
      clearTimeout(timer);
      if (isDone(stdout)) resolve(stdout);
      else reject(new Error(`exited before the expected output; stdout:\n${stdout}\nstderr:\n${stderr}`));
    });
  });
}

export interface Collected {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when `isDone(stdout, stderr)` holds; fails after the deadline with what was seen. */
  until(isDone: (stdout: string, stderr: string) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

/** Collects a running command's stdout and stderr, to wait on what it prints. */
export function collect(child: ChildProcess): Collected {
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const check = () => waiters.forEach((w) => w());
  child.stdout!.on('data', (d: Buffer) => ((stdout += d.toString()), check()));
  child.stderr!.on('data', (d: Buffer) => ((stderr += d.toString()), check()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (check(), resolve(code))));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    until: (isDone, what, timeoutMs = 20_000) =>
      new Promise<void>((resolve, reject) => {
        const waiter = () => {
          if (isDone(stdout, stderr)) finish();
          else if (child.exitCode !== null || child.signalCode !== null) finish(new Error(`the command ended before ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        };
        const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`)), timeoutMs);
        function finish(err?: Error) {
          clearTimeout(timer);
          waiters.delete(waiter);
          if (err) reject(err);
          else resolve();
        }
        waiters.add(waiter);
        waiter();
      }),
  };
}

/** A server as the CLI reaches it through a context `drover server` or `drover dev` wrote. */
export interface ContextServer {
  url: string;
  /** A client with the context's credentials and CA. */
  client: Client;
  /** fetch(path) against the server with the context's credentials and CA. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** The context `name` of `configFile`, or undefined while it is not written yet. */
export async function contextServer(configFile: string, name: string): Promise<ContextServer | undefined> {
  const context = readConfig(configFile).contexts.find((c) => c.name === name);
  if (!context) return undefined;
  const connection = connectionOf(context, {});
  const dispatcher = connection.tls ? await tlsDispatcher(connection.tls) : undefined;
  const authorization = connection.credentials?.token ? `Bearer ${connection.credentials.token}` : undefined;
  return {
    url: context.server,
    client: new Client({ server: context.server, ...connection }),
    fetch: (path, init = {}) =>
      fetch(context.server + path, {
        ...init,
        headers: { ...(authorization ? { authorization } : {}), ...(init.headers as Record<string, string> | undefined) },
        ...(dispatcher ? { dispatcher } : {}),
      } as RequestInit),
  };
}

/** A long-running `drover server` or `drover dev` started by startServing. */
export interface ServingDrover extends ContextServer {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Its stdout and stderr so far. */
  output(): string;
}

/**
 * Starts `args` (a `drover server` or `drover dev` command line) listening on a free port and
 * resolves once it answers as the context `context` it wrote to `config` says (HTTPS and the
 * admin token for a server, the token for dev). An exit ends the wait at once; a port taken
 * meanwhile is tried again on another.
 */
export function startServing(args: string[], opts: { config: string; context: string; env?: Record<string, string> }): Promise<ServingDrover> {
  return withListenPort(async (port) => {
    const child = startDrover([...args, '--listen', `127.0.0.1:${port}`], { env: { ...opts.env, DROVER_CONFIG: opts.config } });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.stdin!.end();
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const server = await until(async () => {
      if (child.exitCode !== null) return 'exited' as const;
      const s = await contextServer(opts.config, opts.context);
      return s && (await s.fetch('/healthz').catch(() => ({ status: 0 }))).status === 200 && s;
    }, `drover ${args[0]} to answer`, 30_000);
    if (server === 'exited') throw new Error(`drover ${args[0]} exited: ${output}`);
    return { ...server, child, exited, output: () => output };
  });
}
