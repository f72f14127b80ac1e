// The Replicante platform's own HTTP listener. Core is configured with a platform base URL and
// appends "discover", "provision", "deprovision" to it (replicore client/platform/http): the
// routes answer at / and under the base path. Core can present a TLS client certificate, but the
// SDK's platforms leave authentication to the deployment; this listener does not authenticate, so
// it binds to loopback unless told otherwise, and the façade acts as its own principal
// (system:replicante, role replicante-platform) whoever calls. Requests go on to the one app
// (rate limits and audit are the native ones).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Principal } from '../../security/principal.js';

/** Set on every socket this listener accepted: the façade answers only those. */
export const REPLICANTE_CONNECTION = Symbol('replicante connection');
/** Where the façade's routes are mounted in the app (requests are rewritten to it). */
export const REPLICANTE_MOUNT = '/replicante-platform';
export const REPLICANTE_ROUTES = ['/discover', '/provision', '/deprovision'] as const;

export interface ReplicanteListenerOptions {
  host: string;
  port: number;
  /** Also serve the routes under this path ("/platform/drover"); they always answer at / too. */
  basePath?: string;
  route: (req: IncomingMessage, res: ServerResponse) => void;
  /** Says who every request on a connection is (the authenticator's trustConnection); absent when the server does not authenticate. */
  trust?: (socket: Socket, principal: Principal) => void;
  principal: Principal;
}

export interface ReplicanteListener {
  /** The base URL to give Core (ends with "/", as Core appends the route's name). */
  url: string;
  close(): Promise<void>;
}

export function isReplicanteConnection(socket: Socket): boolean {
  return (socket as Socket & { [REPLICANTE_CONNECTION]?: boolean })[REPLICANTE_CONNECTION] === true;
}

/** "/a/b/" → "/a/b"; "" and "/" → "". */
export function normalizeBasePath(path: string | undefined): string {
  const trimmed = (path ?? '').replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

export async function startReplicanteListener(opts: ReplicanteListenerOptions): Promise<ReplicanteListener> {
  const base = normalizeBasePath(opts.basePath);
  const server = createServer((req, res) => serve(opts, base, req, res));
  server.on('connection', (socket: Socket) => {
    (socket as Socket & { [REPLICANTE_CONNECTION]?: boolean })[REPLICANTE_CONNECTION] = true;
    opts.trust?.(socket, opts.principal);
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(opts.port, opts.host, () => ok()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
  return { url: `http://${urlHost}:${port}${base}/`, close: () => closeServer(server) };
}

function serve(opts: ReplicanteListenerOptions, base: string, req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  let path = q < 0 ? url : url.slice(0, q);
  if (base && (path === base || path.startsWith(`${base}/`))) path = path.slice(base.length) || '/';
  if (!(REPLICANTE_ROUTES as readonly string[]).includes(path)) {
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: true, error_msg: `no route ${path}: a Replicante platform serves GET discover, POST provision and POST deprovision` }));
    return;
  }
  req.url = `${REPLICANTE_MOUNT}${path}${q < 0 ? '' : url.slice(q)}`;
  opts.route(req, res);
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((ok) => server.close(() => ok()));
}
