// Flocker's own HTTPS listener (default port 4523), as its control service has one: the client
// must present a certificate of the cluster CA whose CN is "user-NAME", or the TLS connection is
// refused — never an HTTP 401 (flocker/ca/_validation.py: rest_api_context_factory). The server's
// certificate is the control service's: CN control-service, valid for "control-service" and this
// host's names and addresses. Requests go on to the one app (so authorization, rate limits and
// audit are the native ones); only /v1 is served here.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { serverSans, CERT_DAYS } from '../../security/cluster-pki.js';
import { issueCertificate, type KeyPair } from '../../security/pki.js';
import type { Principal } from '../../security/principal.js';

export const FLOCKER_DEFAULT_PORT = 4523;
/** Flocker's CN prefix of an API user's certificate. */
export const USER_CN_PREFIX = 'user-';

/** Set on every socket this listener accepted: the façade answers only those. */
export const FLOCKER_CONNECTION = Symbol('flocker connection');

export interface FlockerListenerOptions {
  host: string;
  port: number;
  ca: KeyPair;
  /** More names for the server certificate (the server's --tls-san). */
  sans?: string[];
  /** Hands each request on (the app's routing). */
  route: (req: IncomingMessage, res: ServerResponse) => void;
  /** Says who every request on a connection is (the authenticator's trustConnection); absent when the server does not authenticate. */
  trust?: (socket: Socket, principal: Principal) => void;
}

export interface FlockerListener {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function isFlockerConnection(socket: Socket): boolean {
  return (socket as Socket & { [FLOCKER_CONNECTION]?: boolean })[FLOCKER_CONNECTION] === true;
}

/** The principal of a Flocker user certificate: user NAME, its O attributes as groups; undefined for any other certificate. */
export function flockerUser(socket: TLSSocket): Principal | undefined {
  if (!socket.authorized) return undefined;
  const subject = socket.getPeerCertificate().subject;
  const cn = subject?.CN === undefined ? undefined : [subject.CN].flat()[0];
  if (!cn?.startsWith(USER_CN_PREFIX) || cn.length === USER_CN_PREFIX.length) return undefined;
  return { name: cn.slice(USER_CN_PREFIX.length), groups: subject!.O === undefined ? [] : [subject!.O].flat(), anonymous: false };
}

export async function startFlockerListener(opts: FlockerListenerOptions): Promise<FlockerListener> {
  const server = await controlServiceCertificate(opts.ca, [opts.host, ...(opts.sans ?? [])]).then((pair) =>
    createServer({ cert: pair.cert, key: pair.key, ca: [opts.ca.cert], requestCert: true, rejectUnauthorized: true }, (req, res) => serve(opts, req, res)),
  );
  // Before the HTTP server's own listener, so no request of a refused connection is ever parsed.
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    const user = flockerUser(socket);
    // Node has no verify callback for a server: a chain the CA signed but another CN (an agent's,
    // the server's) is cut off right after the handshake, before any request is read.
    if (!user) return void socket.destroy();
    (socket as TLSSocket & { [FLOCKER_CONNECTION]?: boolean })[FLOCKER_CONNECTION] = true;
    opts.trust?.(socket, user);
  });
  // A failed handshake is the client's problem, not the server's: nothing to log.
  server.on('tlsClientError', () => {});
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(opts.port, opts.host, () => ok()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
  return { url: `https://${urlHost}:${port}`, port, close: () => closeServer(server) };
}

function controlServiceCertificate(ca: KeyPair, sans: string[]): Promise<KeyPair> {
  return issueCertificate(ca, { commonName: 'control-service', sans: ['control-service', ...serverSans(sans)], usage: 'server', days: CERT_DAYS });
}

/** Twisted's page for a path outside /v1 (the control service serves nothing else). */
const NOT_FOUND_PAGE = '\n<html>\n  <head><title>404 - No Such Resource</title></head>\n  <body>\n    <h1>No Such Resource</h1>\n    <p>No such child resource.</p>\n  </body>\n</html>\n';

function serve(opts: FlockerListenerOptions, req: IncomingMessage, res: ServerResponse): void {
  // A refused connection's request, parsed before its socket closed: nobody to answer.
  if (!isFlockerConnection(req.socket)) return void req.socket.destroy();
  const url = req.url ?? '/';
  if (url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?')) return opts.route(req, res);
  res.writeHead(404, { 'content-type': 'text/html' }).end(NOT_FOUND_PAGE);
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((ok) => server.close(() => ok()));
}
