// Helpers of the protocol tests: JSON requests, the error envelope, the store's revision (to
// prove a bad request changed nothing), raw requests whose path is sent exactly as written,
// and readers of watch streams (NDJSON and SSE).
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { after, before } from 'node:test';
import type { ServerOptions } from '../../src/server.js';
import { http, startTestServer, type TestServer } from '../helpers.js';

export type Response = Awaited<ReturnType<typeof http>>;

/**
 * A server running the API alone: these tests are about the protocol, and assert that a bad
 * request changed nothing, so no controller may write (service status, tasks, machine
 * liveness) behind their back. Reconciliation has its own tests.
 */
export function startApiServer(opts: Partial<ServerOptions> = {}): Promise<TestServer> {
  return startTestServer({ controllers: false, ...opts });
}

/** A suite's server, from `useApiServer`: what a TestServer offers, once the suite runs. */
export interface ApiServer extends Omit<TestServer, 'close'> {
  /** The base of the native API: `${url}/api/v1`. */
  readonly api: string;
  /** Runs `fn` at teardown before the server closes (to end the watches a suite left open). */
  beforeClose(fn: () => unknown): void;
}

/**
 * One server for the describe() it is called in: started by `startApiServer(opts)` in a `before`
 * hook, closed in an `after` hook. Its properties can be read once the hooks have run (in tests
 * and later hooks), not while the suite is being declared. `{ controllers: true }` for a suite
 * that needs them.
 */
export function useApiServer(opts: Partial<ServerOptions> = {}): ApiServer {
  let server: TestServer | undefined;
  const teardown: (() => unknown)[] = [];
  const running = (): TestServer => {
    if (!server) throw new Error('the API server is not running: read useApiServer() properties in tests and hooks, not while declaring the suite');
    return server;
  };
  before(async () => {
    server = await startApiServer(opts);
  });
  after(async () => {
    try {
      for (const fn of teardown) await fn();
    } finally {
      await server?.close();
      server = undefined;
    }
  });
  return {
    get url() {
      return running().url;
    },
    get api() {
      return `${running().url}/api/v1`;
    },
    get dir() {
      return running().dir;
    },
    get server() {
      return running().server;
    },
    get client() {
      return running().client;
    },
    restart: (o) => running().restart(o),
    beforeClose: (fn) => void teardown.push(fn),
  };
}

export const JSON_TYPE = { 'content-type': 'application/json' };
export const MERGE = { 'content-type': 'application/merge-patch+json' };
export const JSON_PATCH = { 'content-type': 'application/json-patch+json' };

/** A request with a JSON body (objects are encoded; strings are sent as they are). */
export function send(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return http(url, { method, headers: text === undefined ? headers : { ...JSON_TYPE, ...headers }, body: text });
}

/** A Service spec that passes validation. */
export function serviceSpec(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { template: { command: ['sleep', '1000'] }, ...extra };
}

export async function createService(base: string, name: string, opts: { labels?: Record<string, string>; spec?: Record<string, unknown> } = {}): Promise<any> {
  const metadata = opts.labels ? { name, labels: opts.labels } : { name };
  const res = await send(`${base}/api/v1/services`, 'POST', { metadata, spec: serviceSpec(opts.spec) });
  assert.equal(res.status, 201, res.text);
  return res.json();
}

export async function createTask(base: string, name: string, machine?: string): Promise<any> {
  const spec: Record<string, unknown> = { template: { command: ['true'] } };
  if (machine) spec.machine = machine;
  const res = await send(`${base}/api/v1/tasks`, 'POST', { metadata: { name }, spec });
  assert.equal(res.status, 201, res.text);
  return res.json();
}

/** The store's current revision: unchanged after a request means the request wrote nothing. */
export async function storeRevision(base: string): Promise<number> {
  const res = await http(`${base}/api/v1/system/time`);
  assert.equal(res.status, 200, res.text);
  return res.json().revision as number;
}

/**
 * Asserts the error envelope {"error":{"code","reason","message"}} with the given code and
 * reason, no stack trace or source path in it, and that the message mentions each of `mentions`.
 */
export function assertError(res: Response, code: number, reason: string, ...mentions: string[]): { code: number; reason: string; message: string; details?: { path: string; message: string }[] } {
  assert.equal(res.status, code, `expected ${code} ${reason}, got ${res.status}: ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = JSON.parse(res.text);
  assert.deepEqual(Object.keys(body), ['error'], `the body is not the error envelope: ${res.text}`);
  const { error } = body;
  assert.equal(error.code, code);
  assert.equal(error.reason, reason);
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0);
  assertNoLeak(res.text);
  for (const m of mentions) assert.ok(error.message.includes(m), `the message should mention ${JSON.stringify(m)}: ${error.message}`);
  return error;
}

export function assertNoLeak(text: string): void {
  assert.doesNotMatch(text, /\n\s+at |\\n\s+at |node_modules|\/src\/|\.ts:\d+/, `the response leaks internals: ${text}`);
}

/** A request whose path goes on the wire exactly as given (fetch would normalise `..` and `%2E`). */
export function raw(
  base: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = body === undefined ? {} : JSON_TYPE,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(base, { method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        resolve({ status: res.statusCode!, headers: h, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface SseFrame {
  event?: string;
  id?: string;
  data: any;
}

/**
 * An open watch stream: events are parsed as they arrive; `next()` waits for the next one
 * (failing after a deadline), `close()` ends the request.
 */
export class WatchReader<E> {
  readonly events: E[] = [];
  private read = 0;
  ended = false;
  private wake?: () => void;
  private readonly done: Promise<void>;

  constructor(
    readonly res: globalThis.Response,
    private readonly abort: AbortController,
    parse: (chunk: string) => E[],
  ) {
    this.done = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          this.events.push(...parse(decoder.decode(chunk, { stream: true })));
          this.wake?.();
        }
      } catch {
        // aborted by close(), or the server ended the stream
      }
      this.ended = true;
      this.wake?.();
    })();
  }

  get status(): number {
    return this.res.status;
  }

  /** The next event not returned yet. */
  async next(timeoutMs = 5_000): Promise<E> {
    const deadline = Date.now() + timeoutMs;
    while (this.read >= this.events.length) {
      if (this.ended) throw new Error(`the watch stream ended after ${this.events.length} events`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no watch event within ${timeoutMs} ms (after ${this.events.length} events)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return this.events[this.read++]!;
  }

  async take(n: number, timeoutMs = 5_000): Promise<E[]> {
    const out: E[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next(timeoutMs));
    return out;
  }

  /** Events received but not taken yet. */
  pending(): E[] {
    return this.events.slice(this.read);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

/** Opens an NDJSON watch (`url` includes ?watch=true); each line is one parsed event. */
export async function watchNdjson(url: string, headers: Record<string, string> = {}): Promise<WatchReader<any>> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  let buf = '';
  return new WatchReader<any>(res, abort, (chunk) => {
    buf += chunk;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    return lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
  });
}

/** Opens an SSE watch; each frame's `event:`, `id:` and parsed `data:` lines. */
export async function watchSse(url: string, headers: Record<string, string> = {}): Promise<WatchReader<SseFrame>> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  let buf = '';
  return new WatchReader<SseFrame>(res, abort, (chunk) => {
    buf += chunk;
    const frames = buf.split('\n\n');
    buf = frames.pop()!;
    return frames.map((f) => {
      const frame: Partial<SseFrame> & { lines: string[] } = { lines: [] };
      for (const line of f.split('\n')) {
        const colon = line.indexOf(':');
        const field = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') frame.event = value;
        else if (field === 'id') frame.id = value;
        else if (field === 'data') frame.lines.push(value);
        else throw new Error(`unexpected SSE line ${JSON.stringify(line)}`);
      }
      return { event: frame.event, id: frame.id, data: JSON.parse(frame.lines.join('\n')) };
    });
  });
}

/** How many requests the server counted for a route (all codes), from its /metrics. */
export async function requests(base: string, method: string, route: string): Promise<number> {
  const text = (await http(`${base}/metrics`)).text;
  let n = 0;
  for (const m of text.matchAll(/^drover_http_requests_total\{method="(\w+)",route="([^"]+)",code="\d+"\} (\d+)$/gm)) if (m[1] === method && m[2] === route) n += Number(m[3]);
  return n;
}

/** A proxy to `target` that answers POSTs to paths ending in `suffix` as a server without that route would (an older one). */
export async function olderServer(target: string, suffix: string): Promise<{ url: string; server: Server }> {
  const to = new URL(target);
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url?.endsWith(suffix)) {
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 404, reason: 'NotFound', message: `no such resource: POST ${req.url}; GET /api lists what this server serves` } }));
      return;
    }
    const upstream = request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}
