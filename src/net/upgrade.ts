// HTTP Upgrade requests through a fastify app's routes. Node hands a request with an Upgrade
// header to the server's 'upgrade' listeners with the raw socket, outside fastify; this sends it
// through the app's routing anyway, so authentication and authorization run as for any request,
// and keeps the socket for the route that takes the connection over (port-forward).
import { ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';

const UPGRADE = Symbol('drover.upgrade');

interface Upgraded {
  socket: Socket;
  /** Bytes the client sent after the request head, already read by node's parser. */
  head: Buffer;
  takenOver: boolean;
}

/**
 * Routes the Upgrade requests for `protocols` that `server` receives through `route` (fastify's
 * `app.routing`). Any other Upgrade (curl --http2 asks for h2c) is served as the plain request it
 * also is: once an 'upgrade' listener exists node hands every Upgrade here with its parser gone,
 * so the request head goes back on the socket without the Upgrade, and the server reads it anew.
 */
export function routeUpgrades(server: Server, protocols: string[], route: (req: IncomingMessage, res: ServerResponse) => void): void {
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (!protocols.includes(String(req.headers.upgrade).toLowerCase())) return replayWithoutUpgrade(server, req, socket, head);
    const upgraded: Upgraded = { socket, head, takenOver: false };
    (req as IncomingMessage & { [UPGRADE]?: Upgraded })[UPGRADE] = upgraded;
    socket.on('error', () => socket.destroy());
    const res = new ServerResponse(req);
    res.assignSocket(socket);
    // A route that answered (an error) rather than taking the connection over: the answer is the last word.
    res.once('finish', () => {
      if (!upgraded.takenOver) socket.end();
    });
    route(req, res);
  });
}

function replayWithoutUpgrade(server: Server, req: IncomingMessage, socket: Socket, head: Buffer): void {
  let text = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'upgrade') continue;
    if (name === 'connection') {
      const kept = raw[i + 1]!.split(',').map((t) => t.trim()).filter((t) => t && t.toLowerCase() !== 'upgrade');
      if (kept.length) text += `${raw[i]}: ${kept.join(', ')}\r\n`;
      continue;
    }
    text += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  socket.unshift(Buffer.concat([Buffer.from(`${text}\r\n`, 'latin1'), head]));
  // An https server's HTTP layer takes its connections after the TLS handshake, which is done.
  server.emit('encrypted' in socket ? 'secureConnection' : 'connection', socket);
}

/** The socket of an Upgrade request, now the caller's alone (undefined: not an upgrade, or not routed here). */
export function takeOverSocket(req: IncomingMessage, res: ServerResponse): { socket: Socket; head: Buffer } | undefined {
  const upgraded = (req as IncomingMessage & { [UPGRADE]?: Upgraded })[UPGRADE];
  if (!upgraded) return undefined;
  upgraded.takenOver = true;
  res.detachSocket(upgraded.socket);
  return { socket: upgraded.socket, head: upgraded.head };
}

/**
 * Records that an Upgrade's answer was 101 Switching Protocols: fastify runs its onResponse
 * hooks (the audit) on the response's 'finish', which a response whose socket was taken over
 * never emits by itself.
 */
export function markSwitched(res: ServerResponse): void {
  res.statusCode = 101;
  res.emit('finish');
}

/** Whether `req` arrived as an Upgrade (routed by routeUpgrades). */
export function isUpgrade(req: IncomingMessage): boolean {
  return (req as IncomingMessage & { [UPGRADE]?: Upgraded })[UPGRADE] !== undefined;
}

/** Joins two sockets until either ends; each side's end or error closes the other. */
export function splice(a: Socket, b: Socket): void {
  a.on('error', () => a.destroy());
  b.on('error', () => b.destroy());
  a.once('close', () => b.destroy());
  b.once('close', () => a.destroy());
  a.pipe(b);
  b.pipe(a);
}

/** The protocol name port-forward's Upgrade asks for. */
export const PORT_FORWARD_PROTOCOL = 'drover-port-forward';

/** The Upgrade a WebSocket handshake asks for (exec sessions). */
export const WEBSOCKET_PROTOCOL = 'websocket';

/** Every Upgrade the server and the agents take: one 'upgrade' listener serves them all. */
export const UPGRADE_PROTOCOLS = [PORT_FORWARD_PROTOCOL, WEBSOCKET_PROTOCOL];
