// The typed drover client, used by the CLI, agents, tests and benchmarks. One method per verb,
// the server's error envelope surfaced as ApiError, watches as resuming async iterators.
import type { AnyObject, Cluster, ContainerManager, CronJob, Dataset, Endpoints, Event, Host, Ingress, Job, Lease, Machine, Network, Operation, Service, Task } from '../model/index.js';
import { ConnectionError, errorFromResponse, ServerTimeout } from './errors.js';
import { watchStream, type WatchEvent } from './watch.js';
import { authorizationHeader, tlsDispatcher, type Credentials, type Dispatcher, type TlsOptions } from './transport.js';
import { warningTexts } from './warnings.js';

export type { Cluster, ContainerManager, CronJob, Dataset, Endpoints, Event, Host, Ingress, Job, Lease, Machine, Network, Operation, Service, Task };

/** What a caller writes: metadata without the server-owned fields, status optional. */
export type Input<T extends AnyObject> = {
  apiVersion?: string;
  kind?: string;
  metadata?: Partial<T['metadata']>;
  spec?: Partial<T['spec']> | T['spec'];
  status?: Partial<T['status']>;
};

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  pageToken?: string;
}

export interface List<T> {
  apiVersion: string;
  kind: string;
  metadata: { revision: number; nextPageToken?: string };
  items: T[];
}

export interface WatchOptions extends Omit<ListOptions, 'limit' | 'pageToken'> {
  /** Only changes after this revision; omitted: the current state first. */
  revision?: number;
  name?: string;
  diff?: boolean;
  signal?: AbortSignal;
  /** See WatchRequest: the stream was lost (and is being retried), then came back. */
  onDisconnect?(problem: string): void;
  onReconnect?(): void;
  failFirstConnect?: boolean;
}

export interface WriteOptions {
  /** ETag/revision the write applies to (If-Match). */
  ifMatch?: number;
}

export interface ClientOptions {
  /** Server URL, or several: requests fail over to the next when one cannot be reached. */
  server: string | string[];
  /** Per-request timeout (default 30 s); a stream's answer must start within it, then it may last. */
  timeoutMs?: number;
  /** Extra headers on every request (e.g. authorization). */
  headers?: Record<string, string>;
  /**
   * Connection pool (an undici Agent) for ordinary requests, which then go through its
   * `request()` rather than fetch: no WHATWG Request/Response/stream objects and no abort
   * signals per request, several times less CPU and garbage. Watches keep fetch and their own
   * connections. Hollow machines share one bounded pool.
   */
  dispatcher?: Pool;
  /**
   * The namespace `services` and `tasks` act in. Undefined: the URLs without one, where one
   * object is in "default" and a list or watch spans every namespace the caller may see (agents).
   */
  namespace?: string;
  /** Credentials sent with every request: a bearer token or a user and password. */
  credentials?: Credentials;
  /** TLS for https servers: the CA to trust (the cluster CA), and a client certificate. */
  tls?: TlsOptions;
  /** Called with each warning an answer carries (its Warning header), e.g. a read the server served while its store was unreachable. */
  onWarning?: (text: string) => void;
}

/** The part of undici's Dispatcher API the client uses. */
export interface Pool {
  request(opts: {
    origin: string;
    path: string;
    method: string;
    headers: Record<string, string>;
    body?: string;
    signal?: AbortSignal;
    headersTimeout?: number;
    bodyTimeout?: number;
  }): Promise<{ statusCode: number; headers: Record<string, string | string[] | undefined>; body: { text(): Promise<string> } }>;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** No timeout (streams). */
  stream?: boolean;
}

export class Client {
  readonly machines: ResourceClient<Machine>;
  readonly services: ResourceClient<Service>;
  readonly tasks: ResourceClient<Task>;
  readonly operations: ResourceClient<Operation>;
  readonly datasets: ResourceClient<Dataset>;
  readonly leases: ResourceClient<Lease>;
  readonly endpoints: ResourceClient<Endpoints>;
  readonly events: ResourceClient<Event>;
  readonly ingresses: ResourceClient<Ingress>;
  readonly jobs: ResourceClient<Job>;
  readonly cronJobs: ResourceClient<CronJob>;
  readonly hosts: ResourceClient<Host>;
  readonly clusters: ResourceClient<Cluster>;
  readonly networks: ResourceClient<Network>;
  readonly containerManagers: ResourceClient<ContainerManager>;
  private readonly servers: string[];
  private current = 0;
  private readonly authorization: string | undefined;
  private dispatcher?: Promise<Dispatcher>;

  constructor(readonly options: ClientOptions) {
    this.servers = (Array.isArray(options.server) ? options.server : [options.server]).map((s) => s.replace(/\/+$/, ''));
    if (this.servers.length === 0) throw new Error('at least one server URL is needed');
    this.authorization = options.credentials ? authorizationHeader(options.credentials) : undefined;
    this.machines = this.resource('machines');
    this.services = this.resource('services', options.namespace);
    this.tasks = this.resource('tasks', options.namespace);
    this.operations = this.resource('operations');
    this.datasets = this.resource('datasets', options.namespace);
    this.leases = this.resource('leases', options.namespace);
    this.endpoints = this.resource('endpoints', options.namespace);
    this.events = this.resource('events', options.namespace);
    this.ingresses = this.resource('ingresses', options.namespace);
    this.jobs = this.resource('jobs', options.namespace);
    this.cronJobs = this.resource('cronjobs', options.namespace);
    this.hosts = this.resource('hosts');
    this.clusters = this.resource('clusters');
    this.networks = this.resource('networks');
    this.containerManagers = this.resource('containermanagers');
  }

  get server(): string {
    return this.servers[this.current]!;
  }

  /** A kind's client; with `namespace`, for that namespace's objects (a namespaced kind's). */
  resource<T extends AnyObject = AnyObject>(plural: string, namespace?: string): ResourceClient<T> {
    return new ResourceClient<T>(this, plural, namespace);
  }

  /** Raw response; tries each server in turn when one cannot be reached. */
  async fetch(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = new URL(path, 'http://placeholder');
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers = this.headers(opts.headers);
    let body: string | undefined;
    // A POST always carries a JSON body: the server refuses one without (a cross-site page could send it).
    const payload = opts.body === undefined && method === 'POST' ? {} : opts.body;
    if (payload !== undefined) {
      body = typeof payload === 'string' ? payload : JSON.stringify(payload);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    // Node's fetch takes an undici dispatcher for TLS options (not in the DOM's RequestInit).
    const dispatcher = this.options.tls ? await (this.dispatcher ??= tlsDispatcher(this.options.tls)) : undefined;
    let lastErr: unknown;
    for (let i = 0; i < this.servers.length; i++) {
      const base = this.servers[(this.current + i) % this.servers.length]!;
      const deadline = answerDeadline(this.timeoutMs, !!opts.stream);
      const signal = opts.signal ? AbortSignal.any([opts.signal, deadline.signal]) : deadline.signal;
      try {
        const res = await fetch(base + url.pathname + url.search, { method, headers, body, signal, ...(dispatcher ? { dispatcher } : {}) } as RequestInit);
        deadline.answered();
        this.current = (this.current + i) % this.servers.length;
        this.noteWarning(res.headers.get('warning'));
        return res;
      } catch (err) {
        deadline.answered();
        if (opts.signal?.aborted) throw err;
        // Not retried elsewhere: the request may have been received, and a write must not happen twice.
        if (deadline.signal.aborted) throw new ServerTimeout(base, this.timeoutMs);
        lastErr = err;
      }
    }
    const cause = (lastErr as { cause?: { code?: string; message?: string } })?.cause;
    const problem = cause?.code ?? cause?.message ?? (lastErr as Error)?.message;
    throw new ConnectionError(`cannot reach the drover server at ${this.servers.join(', ')}: ${problem}`, this.servers.join(', '), problem);
  }

  private headers(extra: Record<string, string> | undefined): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers, ...extra };
    if (this.authorization && headers.authorization === undefined) headers.authorization = this.authorization;
    return headers;
  }

  /** Closes the TLS connections this client opened (a process that ends need not). */
  async close(): Promise<void> {
    if (this.dispatcher) await (await this.dispatcher).close();
  }

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? 30_000;
  }

  /** JSON request; non-2xx answers throw the server's ApiError. */
  async request<R = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<{ status: number; headers: Headers; body: R }> {
    if (this.options.dispatcher && !opts.stream) return this.poolRequest<R>(this.options.dispatcher, method, path, opts);
    const res = await this.fetch(method, path, opts);
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      // Headers came in time, the body did not.
      if ((err as Error).name === 'TimeoutError') throw new ServerTimeout(this.server, this.timeoutMs);
      throw err;
    }
    if (!res.ok) throw errorFromResponse(res.status, text);
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as R };
  }

  /** `request` through the pool's own API; same failover, errors and timeout as through fetch. */
  private async poolRequest<R>(pool: Pool, method: string, path: string, opts: RequestOptions): Promise<{ status: number; headers: Headers; body: R }> {
    let query = '';
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) query += `${query ? '&' : '?'}${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`;
    const headers = this.headers(opts.headers);
    let body: string | undefined;
    // A POST always carries a JSON body: the server refuses one without (a cross-site page could send it).
    const payload = opts.body === undefined && method === 'POST' ? {} : opts.body;
    if (payload !== undefined) {
      body = typeof payload === 'string' ? payload : JSON.stringify(payload);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    const timeout = this.options.timeoutMs ?? 30_000;
    let lastErr: unknown;
    for (let i = 0; i < this.servers.length; i++) {
      const at = (this.current + i) % this.servers.length;
      let res: Awaited<ReturnType<Pool['request']>>;
      try {
        res = await pool.request({ origin: this.servers[at]!, path: path + query, method, headers, body, signal: opts.signal, headersTimeout: timeout, bodyTimeout: timeout });
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        lastErr = err;
        continue;
      }
      this.current = at;
      this.noteWarning(res.headers['warning']);
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode > 299) throw errorFromResponse(res.statusCode, text);
      const raw = res.headers;
      return {
        status: res.statusCode,
        // Built only if read: the agents' requests never look at headers.
        get headers() {
          const h = new Headers();
          for (const [k, v] of Object.entries(raw)) for (const one of [v ?? []].flat()) h.append(k, one);
          return h;
        },
        body: (text ? JSON.parse(text) : undefined) as R,
      };
    }
    const e = lastErr as { code?: string; message?: string };
    throw new ConnectionError(`cannot reach the drover server at ${this.servers.join(', ')}: ${e?.code ?? e?.message}`, this.servers.join(', '), e?.code ?? e?.message);
  }

  private noteWarning(header: string | string[] | null | undefined): void {
    if (!header || !this.options.onWarning) return;
    for (const text of warningTexts([header].flat().join(', '))) this.options.onWarning(text);
  }

  /** The secret values a task's template refers to (for the agent that starts it); never stored in the task. */
  async taskSecrets(namespace: string, name: string): Promise<{ env: Record<string, string>; files: { path: string; data: Record<string, string> }[] }> {
    const path = this.resource('tasks', namespace).pathOf(name, '/secrets');
    return (await this.request<{ env: Record<string, string>; files: { path: string; data: Record<string, string> }[] }>('GET', path)).body;
  }

  /** Seals every secret under a new key and retires the old ones (see Registry.rotateSecretKey). */
  async rotateSecretKey(): Promise<{ keyId: string; resealed: number; retiredKeys: string[] }> {
    return (await this.request<{ keyId: string; resealed: number; retiredKeys: string[] }>('POST', '/api/v1/system/secret-keys/rotate', { body: {} })).body;
  }

  async version(): Promise<{ version: string; node: string; store: string }> {
    return (await this.request<{ version: string; node: string; store: string }>('GET', '/api/v1/system/version')).body;
  }
}

export class ResourceClient<T extends AnyObject> {
  private readonly base: string;
  /**
   * Without `namespace`, the URLs without one: one object is in "default", a list or watch
   * spans every namespace the caller may see.
   */
  constructor(
    private readonly client: Client,
    readonly plural: string,
    readonly namespace?: string,
  ) {
    this.base = namespace === undefined ? `/api/v1/${plural}` : `/api/v1/namespaces/${encodeURIComponent(namespace)}/${plural}`;
  }

  /** The same kind in `namespace` (undefined: the URLs without one). */
  in(namespace: string | undefined): ResourceClient<T> {
    return namespace === this.namespace ? this : new ResourceClient<T>(this.client, this.plural, namespace);
  }

  /** The URL path of one object, or of its subresource `sub` ("/log"): in this client's namespace. */
  pathOf(name: string, sub = ''): string {
    return this.path(name, sub);
  }

  private path(name: string, sub = ''): string {
    return `${this.base}/${encodeURIComponent(name)}${sub}`;
  }

  async get(name: string): Promise<T> {
    return (await this.client.request<T>('GET', this.path(name))).body;
  }

  /** The object, or undefined when it does not exist. */
  async find(name: string): Promise<T | undefined> {
    try {
      return await this.get(name);
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  async list(opts: ListOptions = {}): Promise<List<T>> {
    return (await this.client.request<List<T>>('GET', this.base, { query: { ...opts } })).body;
  }

  /** Every page of a list, from one snapshot. */
  async listAll(opts: Omit<ListOptions, 'pageToken'> = {}): Promise<List<T>> {
    const first = await this.list(opts);
    let token = first.metadata.nextPageToken;
    while (token) {
      const page = await this.list({ ...opts, pageToken: token });
      first.items.push(...page.items);
      token = page.metadata.nextPageToken;
    }
    delete first.metadata.nextPageToken;
    return first;
  }

  async create(obj: Input<T>, opts: { wait?: string } = {}): Promise<T> {
    return (await this.client.request<T>('POST', this.base, { body: obj, query: { wait: opts.wait } })).body;
  }

  /** PUT: creates or replaces the spec side; `created` tells which. */
  async replace(obj: Input<T> & { metadata: { name: string } }, opts: WriteOptions = {}): Promise<{ object: T; created: boolean }> {
    const res = await this.client.request<T>('PUT', this.path(obj.metadata.name), { body: obj, headers: ifMatch(opts) });
    return { object: res.body, created: res.status === 201 };
  }

  async patch(name: string, patch: unknown, opts: WriteOptions & { type?: 'merge' | 'json'; subresource?: 'status' } = {}): Promise<T> {
    const contentType = opts.type === 'json' ? 'application/json-patch+json' : 'application/merge-patch+json';
    const path = this.path(name, opts.subresource ? `/${opts.subresource}` : '');
    return (await this.client.request<T>('PATCH', path, { body: patch, contentType, headers: ifMatch(opts) })).body;
  }

  async replaceStatus(name: string, status: T['status'], opts: WriteOptions = {}): Promise<T> {
    return (await this.client.request<T>('PUT', this.path(name, '/status'), { body: { metadata: { name }, status }, headers: ifMatch(opts) })).body;
  }

  async patchStatus(name: string, status: Partial<T['status']>, opts: WriteOptions = {}): Promise<T> {
    return (
      await this.client.request<T>('PATCH', this.path(name, '/status'), {
        body: { status },
        contentType: 'application/merge-patch+json',
        headers: ifMatch(opts),
      })
    ).body;
  }

  async delete(name: string, opts: WriteOptions = {}): Promise<T> {
    return (await this.client.request<T>('DELETE', this.path(name), { headers: ifMatch(opts) })).body;
  }

  /** Changes as an async iterator; resumes after dropped connections. Break out (or abort) to stop. */
  watch(opts: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    const path = opts.name !== undefined ? this.path(opts.name) : this.base;
    return watchStream<T>({
      revision: opts.revision,
      signal: opts.signal,
      onDisconnect: opts.onDisconnect,
      onReconnect: opts.onReconnect,
      failFirstConnect: opts.failFirstConnect,
      open: async (revision, signal) => {
        const res = await this.client.fetch('GET', path, {
          query: { watch: true, revision, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, diff: opts.diff || undefined },
          signal,
          stream: true,
        });
        if (!res.ok) throw errorFromResponse(res.status, await res.text());
        return res;
      },
    });
  }
}

function ifMatch(opts: WriteOptions): Record<string, string> | undefined {
  return opts.ifMatch === undefined ? undefined : { 'if-match': `"${opts.ifMatch}"` };
}

/**
 * The deadline of one attempt: the whole exchange for a request (body included), only the
 * start of the answer for a stream. `answered()` ends a stream's deadline.
 */
function answerDeadline(timeoutMs: number, isStream: boolean): { signal: AbortSignal; answered(): void } {
  if (!isStream) return { signal: AbortSignal.timeout(timeoutMs), answered: () => {} };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('no answer in time', 'TimeoutError')), timeoutMs);
  timer.unref();
  return { signal: controller.signal, answered: () => clearTimeout(timer) };
}
