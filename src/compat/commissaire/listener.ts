// Commissaire's own listener (commissaire-server listens on its own port, 8000 by default):
// only /api/v0 is served there, everything else is its 404. It speaks what the main listener
// speaks — HTTPS with the server's certificate when the server has TLS (commctl's endpoint is
// then https://…, trusting the CA through REQUESTS_CA_BUNDLE), plain HTTP otherwise — because
// commctl sends a password with every request. Requests go on to the one app, so
// authentication, authorization, rate limits and audit are the native ones.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import type { Socket } from 'node:net';
import { OFF_LOOPBACK_LISTENER } from '../../api/facade.js';
import { COMMISSAIRE_PREFIX } from './index.js';

export const COMMISSAIRE_DEFAULT_PORT = 8000;

export interface CommissaireListenerOptions {
  host: string;
  port: number;
  /** The server's TLS options, when it has TLS. */
  https?: HttpsServerOptions;
  /** Hands each request on (the app's routing). */
  route: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface CommissaireListener {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startCommissaireListener(opts: CommissaireListenerOptions): Promise<CommissaireListener> {
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (url === COMMISSAIRE_PREFIX || url.startsWith(`${COMMISSAIRE_PREFIX}/`) || url.startsWith(`${COMMISSAIRE_PREFIX}?`)) return opts.route(req, res);
    res.writeHead(404, { 'content-type': 'text/html' }).end('Not Found');
  };
  const server: Server = opts.https ? createHttpsServer(opts.https, serve) : createHttpServer(serve);
  if (!isLoopbackHost(opts.host)) {
    server.on(opts.https ? 'secureConnection' : 'connection', (socket: Socket) => {
      (socket as Socket & { [OFF_LOOPBACK_LISTENER]?: boolean })[OFF_LOOPBACK_LISTENER] = true;
    });
  }
  if (opts.https) server.on('tlsClientError', () => {});
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(opts.port, opts.host, () => ok()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
  return {
    url: `${opts.https ? 'https' : 'http'}://${urlHost}:${port}`,
    port,
    close: () => {
      server.closeAllConnections();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}
