// A WebSocket's credential carried as a subprotocol (browsers cannot set an Authorization header
// on one): `base64url.bearer.authorization.drover.io.<token>` or `…basic…<user:password>`, turned
// back into the Authorization header it stands for, so it is checked like any other.
import type { IncomingHttpHeaders } from 'node:http';
import { BASIC_PROTOCOL_PREFIX, BEARER_PROTOCOL_PREFIX } from '../model/exec-stream.js';

/** The Authorization value a WebSocket handshake carries in Sec-WebSocket-Protocol, if any. */
export function authorizationFromProtocols(headers: IncomingHttpHeaders): string | undefined {
  const offered = headers['sec-websocket-protocol'];
  if (!offered || String(headers.upgrade).toLowerCase() !== 'websocket') return undefined;
  for (const p of offered.split(',').map((s) => s.trim())) {
    if (p.startsWith(BEARER_PROTOCOL_PREFIX)) return `Bearer ${Buffer.from(p.slice(BEARER_PROTOCOL_PREFIX.length), 'base64url').toString('utf8')}`;
    if (p.startsWith(BASIC_PROTOCOL_PREFIX)) return `Basic ${Buffer.from(p.slice(BASIC_PROTOCOL_PREFIX.length), 'base64url').toString('base64')}`;
  }
  return undefined;
}
