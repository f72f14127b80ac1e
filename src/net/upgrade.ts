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

/** Routes the Upgrade requests `server` receives through `route` (fastify's `app.routing`). */
export function routeUpgrades(server: Server, route: (req: IncomingMessage, res: ServerResponse) => void): void {
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
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

/** The socket of an Upgrade request, now the caller's alone (undefined: not an upgrade, or not routed here). */
export function takeOverSocket(req: IncomingMessage, res: ServerResponse): { socket: Socket; head: Buffer } | undefined {
  const upgraded = (req as IncomingMessage & { [UPGRADE]?: Upgraded })[UPGRADE];
  if (!upgraded) return undefined;
  upgraded.takenOver = true;
  res.detachSocket(upgraded.socket);
  return { socket: upgraded.socket, head: upgraded.head };
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
