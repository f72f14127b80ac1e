// `drover server` as a child process, for tests that kill or signal a server. Spawns
// bin/drover.js, so it works only from the compiled tests (dist/test), where bin finds dist/src.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', '..', '..', 'bin', 'drover.js');

/** True when running from dist/test, where bin/drover.js can run the compiled server. */
export const isCompiled = here.includes(join('dist', 'test'));

export interface ServerProcess {
  proc: ChildProcess;
  /** The URL the server printed once listening. */
  url: Promise<string>;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  stderr: string;
}

/** Starts `drover server --listen 127.0.0.1:0 …args`; its URL comes from the line it prints once listening. */
export function spawnServer(args: string[]): ServerProcess {
  // These tests are about etcd, not security: plain HTTP, every caller an administrator.
  const proc = spawn(process.execPath, [bin, 'server', '--listen', '127.0.0.1:0', '--insecure-http', '--no-auth', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const server: ServerProcess = {
    proc,
    stderr: '',
    url: Promise.resolve(''),
    exited: new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1))),
  };
  proc.stderr!.setEncoding('utf8');
  server.url = new Promise((resolve, reject) => {
    proc.stderr!.on('data', (chunk: string) => {
      server.stderr = (server.stderr + chunk).slice(-20_000);
      const m = /listening on (http:\/\/\S+)/.exec(server.stderr);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`drover server exited with ${code} before listening: ${server.stderr}`)));
  });
  // A test that never awaits the URL must not fail on an unhandled rejection.
  server.url.catch(() => undefined);
  return server;
}
