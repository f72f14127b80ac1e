// The layer 7 proxy: Ingress rules (host, path) → a service's ready endpoints, round-robin, on
// keep-alive connections. node:http on both sides (no proxy library): the one thing a library
// would add, retrying the next upstream, needs to know when the request's body started to flow,
// which node:http tells directly. Measured in bench/ingress.ts against the upstream hit directly.
import { Agent, createServer, request, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Endpoints, Ingress } from '../model/index.js';
import { matchRoute, routesOf, type Route } from './routes.js';
import { UpstreamTable, keyOf, type Upstream } from './upstreams.js';

/** Hop-by-hop headers (RFC 9110 §7.6.1): never forwarded as they are. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export interface HttpIngressOptions {
  /** How long a connection attempt to one upstream may take before the next is tried (default 3 s). */
  connectTimeoutMs?: number;
  /** Idle keep-alive connections kept per upstream (default 64). */
  maxFreeSockets?: number;
}

export class HttpIngressProxy {
  readonly upstreams = new UpstreamTable();
  readonly server: Server;
  private readonly ingresses = new Map<string, Ingress>();
  private routes: Route[] = [];
  private readonly agent: Agent;
  private readonly tunnels = new Set<Socket>();

  constructor(private readonly opts: HttpIngressOptions = {}) {
    this.agent = new Agent({ keepAlive: true, maxFreeSockets: opts.maxFreeSockets ?? 64, scheduling: 'lifo' });
    this.server = createServer({ keepAlive: true }, (req, res) => this.handle(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
    this.server.on('clientError', (_err, socket: Socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    });
  }

  setIngress(ing: Ingress): void {
    this.ingresses.set(keyOf(ing.metadata.namespace, ing.metadata.name), ing);
    this.routes = routesOf(this.ingresses.values());
  }

  deleteIngress(ing: Ingress): void {
    this.ingresses.delete(keyOf(ing.metadata.namespace, ing.metadata.name));
    this.routes = routesOf(this.ingresses.values());
  }

  replaceIngresses(all: Iterable<Ingress>): void {
    this.ingresses.clear();
    for (const ing of all) this.ingresses.set(keyOf(ing.metadata.namespace, ing.metadata.name), ing);
    this.routes = routesOf(this.ingresses.values());
  }

  replaceEndpoints(all: Iterable<Endpoints>): void {
    this.upstreams.clear();
    for (const ep of all) this.upstreams.set(ep);
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    for (const t of this.tunnels) t.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => (this.server.listening ? this.server.close(() => r()) : r()));
    this.agent.destroy();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const route = matchRoute(this.routes, req.headers.host, req.url ?? '/');
    if (!route) return answer(res, 404, `no ingress rule matches host "${req.headers.host ?? ''}" and path "${pathOf(req.url)}"`);
    const candidates = this.upstreams.candidates(route.namespace, route.service, route.port);
    if (candidates.length === 0) return answer(res, 503, `service "${route.namespace}/${route.service}" has no ready endpoints (ingress "${route.ingress}")`);
    this.forward(req, res, route, candidates, 0);
  }

  private forward(req: IncomingMessage, res: ServerResponse, route: Route, candidates: Upstream[], i: number): void {
    const up = candidates[i]!;
    const upReq = request({ host: up.host, port: up.port, method: req.method, path: req.url, headers: forwardedHeaders(req), agent: this.agent });
    // The body flows only once the upstream connection is up: a refused connection has then
    // consumed nothing, and the request (any method) goes to the next upstream whole.
    const bodiless = hasNoBody(req);
    let bodyStarted = false;
    const startBody = () => {
      if (bodyStarted) return;
      bodyStarted = true;
      if (!bodiless) req.pipe(upReq);
    };
    // Nothing to read from the client: the request goes out as soon as a connection is there.
    if (bodiless) upReq.end();
    upReq.once('socket', (s: Socket) => {
      if (!s.connecting) return startBody();
      // Only a new connection may time out connecting; then the next upstream is tried.
      const timer = setTimeout(() => upReq.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), this.opts.connectTimeoutMs ?? 3_000);
      s.once('connect', () => {
        clearTimeout(timer);
        startBody();
      });
      s.once('close', () => clearTimeout(timer));
    });
    upReq.once('response', (upRes: IncomingMessage) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, responseHeaders(upRes.headers));
      // Plain data/end handlers: a pipe's bookkeeping per request cost more than the copy.
      upRes.on('data', (chunk: Buffer) => {
        if (!res.write(chunk)) {
          upRes.pause();
          res.once('drain', () => upRes.resume());
        }
      });
      upRes.once('end', () => res.end());
      upRes.once('error', () => res.destroy());
    });
    upReq.once('error', (err: NodeJS.ErrnoException) => {
      if (res.headersSent || res.destroyed) return void res.destroy();
      const canRetry = !bodyStarted || (IDEMPOTENT.has(req.method ?? '') && bodiless);
      if (canRetry && i + 1 < candidates.length) return this.forward(req, res, route, candidates, i + 1);
      answer(res, 502, `upstream ${up.host}:${up.port} (task "${up.task}") of service "${route.namespace}/${route.service}" failed: ${err.code ?? err.message}`);
    });
    res.once('close', () => {
      if (!res.writableFinished) upReq.destroy();
    });
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const route = matchRoute(this.routes, req.headers.host, req.url ?? '/');
    if (!route) return rawAnswer(socket, 404, `no ingress rule matches host "${req.headers.host ?? ''}" and path "${pathOf(req.url)}"`);
    const candidates = this.upstreams.candidates(route.namespace, route.service, route.port);
    if (candidates.length === 0) return rawAnswer(socket, 503, `service "${route.namespace}/${route.service}" has no ready endpoints (ingress "${route.ingress}")`);
    this.tunnel(req, socket, head, route, candidates, 0);
  }

  private tunnel(req: IncomingMessage, socket: Socket, head: Buffer, route: Route, candidates: Upstream[], i: number): void {
    const up = candidates[i]!;
    const headers = forwardedHeaders(req);
    headers.connection = 'Upgrade';
    headers.upgrade = req.headers.upgrade;
    // Its own connection: an upgraded socket is never returned to the keep-alive pool.
    const upReq: ClientRequest = request({ host: up.host, port: up.port, method: req.method, path: req.url, headers, timeout: this.opts.connectTimeoutMs ?? 3_000 });
    upReq.on('timeout', () => upReq.destroy(new Error('connect timeout')));
    upReq.once('upgrade', (upRes: IncomingMessage, upSocket: Socket, upHead: Buffer) => {
      upReq.setTimeout(0);
      socket.write(statusLine(upRes) + rawHeaderLines(upRes.rawHeaders) + '\r\n');
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      this.tunnels.add(socket);
      socket.once('close', () => {
        this.tunnels.delete(socket);
        upSocket.destroy();
      });
      upSocket.on('error', () => socket.destroy());
      upSocket.once('close', () => socket.destroy());
      upSocket.pipe(socket);
      socket.pipe(upSocket);
    });
    upReq.once('response', (upRes: IncomingMessage) => {
      // The upstream refused the upgrade: its answer goes back as it is, and the connection ends.
      socket.write(statusLine(upRes) + rawHeaderLines(upRes.rawHeaders, 'connection') + 'connection: close\r\n\r\n');
      upRes.pipe(socket);
    });
    upReq.once('error', (err: NodeJS.ErrnoException) => {
      // An upgrade request has no body and nothing came back yet: the next upstream may take it.
      if (i + 1 < candidates.length && !socket.destroyed) return this.tunnel(req, socket, head, route, candidates, i + 1);
      rawAnswer(socket, 502, `upstream ${up.host}:${up.port} (task "${up.task}") of service "${route.namespace}/${route.service}" failed: ${err.code ?? err.message}`);
    });
    upReq.end();
  }
}

/** Whether the request has no body (nothing to hold back while the upstream connection is made). */
function hasNoBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] === undefined || req.headers['content-length'] === '0');
}

/** The request's headers for the upstream: hop-by-hop ones dropped, X-Forwarded-* set. */
function forwardedHeaders(req: IncomingMessage): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const connectionListed = new Set(String(req.headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim()));
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || connectionListed.has(k)) continue;
    out[k] = v;
  }
  const client = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? `${[prior].flat().join(', ')}, ${client}` : client;
  out['x-forwarded-proto'] = 'encrypted' in req.socket ? 'https' : 'http';
  if (req.headers.host) out['x-forwarded-host'] = req.headers.host;
  return out;
}

function responseHeaders(h: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const connectionListed = new Set(String(h.connection ?? '').toLowerCase().split(',').map((s) => s.trim()));
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k) && !connectionListed.has(k)) out[k] = v;
  return out;
}

function answer(res: ServerResponse, code: number, message: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${message}\n`);
}

function rawAnswer(socket: Socket, code: number, message: string): void {
  const body = `${message}\n`;
  socket.end(`HTTP/1.1 ${code} ${code === 404 ? 'Not Found' : code === 503 ? 'Service Unavailable' : 'Bad Gateway'}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

function statusLine(res: IncomingMessage): string {
  return `HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ''}\r\n`;
}

function rawHeaderLines(raw: string[], without?: string): string {
  let s = '';
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() !== without) s += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return s;
}

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}
