// Shared by the end-to-end tests: real servers on port 0 in temp dirs, and waiting on
// conditions with a deadline instead of sleeping.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../src/client/client.js';
import { startServer, type RunningServer, type ServerOptions } from '../src/server.js';

export { until, type Truthy } from './until.js';

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

/** A raw HTTP request, for asserting status codes, headers and bodies exactly. */
export async function http(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => any }> {
  const res = await fetch(url, { method: init.method ?? 'GET', headers: init.headers, body: init.body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}
