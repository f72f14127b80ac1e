// An interactive exec session: the task's exec subresource as a WebSocket (framing in
// src/model/exec-stream.ts). Resolves once the server and the task's agent took it, or rejects
// with the API's error (403, 404, 409, 400) as every other client call does.
import { text } from 'node:stream/consumers';
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { EXEC_PROTOCOL, execQueryString, type ExecRequest } from '../model/exec-stream.js';
import type { Client } from './client.js';
import { errorFromResponse } from './errors.js';
import { authorizationHeader } from './transport.js';

export function openExecSession(client: Client, task: string, request: Partial<ExecRequest> & { command: string[] }): Promise<WebSocket> {
  const url = (client.server + client.tasks.pathOf(task, '/exec')).replace(/^http/, 'ws') + `?${execQueryString(request)}`;
  const o = client.options;
  const authorization = o.credentials ? authorizationHeader(o.credentials) : undefined;
  const ws = new WebSocket(url, [EXEC_PROTOCOL], {
    headers: { ...o.headers, ...(authorization ? { authorization } : {}) },
    perMessageDeflate: false,
    ...(o.tls ? { ca: o.tls.ca, cert: o.tls.cert, key: o.tls.key } : {}),
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (req, res: IncomingMessage) => {
      text(res).then((body) => {
        req.destroy();
        reject(errorFromResponse(res.statusCode ?? 500, body));
      }, reject);
    });
    ws.once('error', (err) => reject(new Error(`cannot reach ${client.server}: ${err.message}`)));
  });
}
