// Requests a browser could be tricked into sending. A page on another site may POST to any
// address without asking first (a "simple" request: no custom header, a form's content type or
// none), and DNS rebinding lets it reach a server on 127.0.0.1 under its own host name. So a POST
// to the API must carry a body in a type the API parses (the client sends {} when it has nothing
// to say), and a server listening on loopback answers only requests addressed to loopback.
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ApiError, BadRequest } from '../../errors.js';
import { isOffLoopbackListener } from '../facade.js';

export interface GuardOptions {
  /** The listener is on a loopback address: check the Host header. */
  loopbackOnly?: boolean;
}

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i;

export function registerGuards(app: FastifyInstance, opts: GuardOptions): void {
  app.addHook('onRequest', (req, _reply, done) => {
    // The native API's POSTs; Commissaire's /api/v0 has none (a POST there is its 404).
    if (req.method === 'POST' && req.headers['content-type'] === undefined && req.url.startsWith('/api/') && !isCommissairePath(req.url)) {
      return done(
        new ApiError(
          'UnsupportedMediaType',
          'a POST needs a body with Content-Type application/json (or application/yaml); send {} when there is nothing in it',
        ),
      );
    }
    // A unix socket peer has no address: it is local by construction.
    if (opts.loopbackOnly && req.raw.socket.remoteAddress !== undefined && !LOOPBACK_HOST.test(req.headers.host ?? '') && !isOffLoopbackListener(req.raw.socket)) {
      return done(
        new BadRequest(
          `this server listens on loopback and answers only requests addressed to localhost, 127.0.0.1 or [::1], not "${(req.headers.host ?? '').slice(0, 100)}" (DNS rebinding protection); listen on another address to serve other names`,
        ),
      );
    }
    done();
  });
}

function isCommissairePath(url: string): boolean {
  return url === '/api/v0' || url.startsWith('/api/v0/') || url.startsWith('/api/v0?');
}

/** Whether `host` (a --listen host) is a loopback address. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * Requests Node's HTTP parser refuses before any route sees them (a bad request line, a
 * smuggling attempt, headers too large, a client too slow) answer in the error envelope too.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
  const [code, status, reason, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'BadRequest', 'the request did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'BadRequest', 'the request headers are too large']
        : [400, 'Bad Request', 'BadRequest', `malformed HTTP request: ${(err.message ?? 'unparseable').replace(/[^\x20-\x7e]/g, '?').slice(0, 200)}`];
  const body = JSON.stringify({ error: { code, reason, message } });
  socket.end(`HTTP/1.1 ${code} ${status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
