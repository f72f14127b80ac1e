// One port-forward tunnel: an HTTP Upgrade to the task's portforward subresource; the server
// answers 101 once the task's agent has connected to the port, or the API error saying why not.
import { text } from 'node:stream/consumers';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Client } from './client.js';
import { errorFromResponse } from './errors.js';
import { authorizationHeader } from './transport.js';
import { PORT_FORWARD_PROTOCOL } from '../net/upgrade.js';

/** A connection to 127.0.0.1:`port` on the machine of `task` (in the client's namespace). */
export function openPortForward(client: Client, task: string, port: number): Promise<Socket> {
  const url = new URL(client.server + client.tasks.pathOf(task, '/portforward') + `?port=${port}`);
  const o = client.options;
  const authorization = o.credentials ? authorizationHeader(o.credentials) : undefined;
  const headers: Record<string, string> = { ...o.headers, ...(authorization ? { authorization } : {}), connection: 'Upgrade', upgrade: PORT_FORWARD_PROTOCOL };
  const options = { host: url.hostname, port: url.port, method: 'GET', path: url.pathname + url.search, headers, agent: false as const };
  return new Promise((resolve, reject) => {
    const req = url.protocol === 'https:' ? httpsRequest({ ...options, ca: o.tls?.ca, cert: o.tls?.cert, key: o.tls?.key }) : httpRequest(options);
    req.once('upgrade', (_res: IncomingMessage, socket: Socket, head: Buffer) => {
      if (head.length) socket.unshift(head);
      resolve(socket);
    });
    req.once('response', (res: IncomingMessage) => {
      text(res).then((body) => reject(errorFromResponse(res.statusCode ?? 500, body)), reject);
    });
    req.once('error', (err) => reject(new Error(`cannot reach ${client.server}: ${err.message}`)));
    req.end();
  });
}
