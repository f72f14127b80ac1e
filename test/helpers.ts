// Shared by the end-to-end tests: real servers on port 0 in temp dirs, and waiting on
// conditions with a deadline instead of sleeping.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../src/client/client.js';
import { startServer, type RunningServer, type ServerOptions } from '../src/server.js';

export { until, type Truthy } from './until.js';

export function tempDir(prefix = 'drover-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

let loadProbe: string | undefined;

/**
 * The npm packages (nested ones too) a node process run with `args` had loaded when it exited: a
 * preload lists the CommonJS loader's modules at exit (ESM imports of CommonJS packages land there too).
 */
export function packagesLoadedBy(args: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = tempDir('drover-loaded-');
  try {
    loadProbe ??= (() => {
      const probe = join(tempDir('drover-load-probe-'), 'probe.cjs');
      writeFileSync(
        probe,
        `process.on('exit', () => {
          // Every package on a module's path, a nested one (a/node_modules/b) included.
          const names = new Set(Object.keys(require.cache).flatMap((k) => [...k.matchAll(/node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/g)].map((m) => m[1])));
          require('fs').writeFileSync(process.env.LOADED_OUT, JSON.stringify([...names]));
        });`,
      );
      return probe;
    })();
    const out = join(dir, 'loaded.json');
    const run = spawnSync(process.execPath, ['--require', loadProbe, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...env, LOADED_OUT: out } });
    if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${run.status}: ${run.stderr}`);
    return JSON.parse(readFileSync(out, 'utf8')) as string[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `start` with a port for a server the test starts as a child process (which cannot listen
 * on port 0 and tell us), again with another port when that one was taken meanwhile. Ports come
 * from below Linux's ephemeral range (32768 and up), where the suite's own outgoing connections
 * hold ports: a pick there failed with EADDRINUSE under the full suite.
 */
export async function withListenPort<T>(start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      return await start(port);
    } catch (err) {
      if (attempt === 3 || !String(err).includes('EADDRINUSE')) throw err;
    }
  }
}

export interface TestServer {
  url: string;
  dir: string;
  server: RunningServer;
  client: Client;
  /**
   * Stops the server and starts another at the same URL: on its own data dir (a restart), or on
   * another one (`dataDir`: a server started on the wrong or an empty store). Closing closes
   * whichever runs, and removes every data dir used.
   */
  restart(opts?: { dataDir?: string }): Promise<void>;
  close(): Promise<void>;
}

export async function startTestServer(opts: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dir = opts.dataDir ?? tempDir();
  const first = await startServer({ listen: '127.0.0.1:0', logLevel: 'error', ...opts, dataDir: dir });
  const dirs = new Set([dir]);
  const ts: TestServer = {
    url: first.url,
    dir,
    server: first,
    client: clientOf(first),
    restart: async (o = {}) => {
      await ts.server.close();
      const dataDir = o.dataDir ?? dir;
      dirs.add(dataDir);
      ts.server = await startServer({ logLevel: 'error', ...opts, listen: `127.0.0.1:${new URL(first.url).port}`, dataDir });
    },
    close: async () => {
      await ts.server.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
  return ts;
}

/** A client of `server` as its administrator: the admin token and the cluster CA when it has them. */
export function clientOf(server: RunningServer): Client {
  return new Client({
    server: server.url,
    ...(server.adminToken ? { credentials: { token: server.adminToken } } : {}),
    ...(server.caCert ? { tls: { ca: server.caCert } } : {}),
  });
}

/** A raw HTTP request, for asserting status codes, headers and bodies exactly. */
export async function http(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => any }> {
  const res = await fetch(url, { method: init.method ?? 'GET', headers: init.headers, body: init.body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}
