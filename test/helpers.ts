// Shared by the end-to-end tests: real servers on port 0 in temp dirs, and waiting on
// conditions with a deadline instead of sleeping.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../src/client/client.js';
import { startServer, type RunningServer, type ServerOptions } from '../src/server.js';

export function tempDir(prefix = 'drover-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestServer {
  url: string;
  dir: string;
  server: RunningServer;
  client: Client;
  close(): Promise<void>;
}

export async function startTestServer(opts: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dir = opts.dataDir ?? tempDir();
  const server = await startServer({ listen: '127.0.0.1:0', logLevel: 'error', ...opts, dataDir: dir });
  return {
    url: server.url,
    dir,
    server,
    client: new Client({ server: server.url }),
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves with fn()'s first truthy value; fails with `what` after the deadline. */
type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

export async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      const v = await fn();
      if (v) return v as Truthy<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, delay));
  }
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
