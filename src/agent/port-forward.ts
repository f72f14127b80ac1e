// The agent's half of port-forward: GET /v1/tasks/UID/portforward?port=N (an Upgrade, from the
// server only) connects to 127.0.0.1:N on this machine and, once connected, answers 101 and
// joins the two connections. A refused port is a 409 whose message the user sees.
import { connect, type Socket } from 'node:net';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { PORT_FORWARD_PROTOCOL, splice, takeOverSocket } from '../net/upgrade.js';
import type { TaskRunner } from './task-runner.js';

export function registerPortForward(app: FastifyInstance, runnerOf: (uid: string) => TaskRunner, machine: string, track: (res: ServerResponse, end: () => void) => void): void {
  app.get('/v1/tasks/:uid/portforward', async (req, reply) => {
    const { uid } = req.params as { uid: string };
    const port = Number((req.query as { port?: string }).port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw Object.assign(new Error('port must be 1–65535'), { statusCode: 400 });
    const runner = runnerOf(uid);
    if (!runner.currentRun) throw Object.assign(new Error(`task ${runner.name ?? uid} has no running process on machine ${machine}`), { statusCode: 409 });
    const target = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => resolve(s));
      s.once('error', (err: NodeJS.ErrnoException) =>
        reject(Object.assign(new Error(err.code === 'ECONNREFUSED' ? `nothing listens on port ${port} of machine ${machine} (connection refused)` : `cannot connect to port ${port} of machine ${machine}: ${err.message}`), { statusCode: 409 })),
      );
    });
    const taken = takeOverSocket(req.raw, reply.raw);
    if (!taken) {
      target.destroy();
      throw Object.assign(new Error(`port-forward needs an HTTP Upgrade to "${PORT_FORWARD_PROTOCOL}"`), { statusCode: 400 });
    }
    reply.hijack();
    taken.socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${PORT_FORWARD_PROTOCOL}\r\nconnection: Upgrade\r\n\r\n`);
    if (taken.head.length) target.write(taken.head);
    track(reply.raw, () => taken.socket.destroy());
    taken.socket.once('close', () => reply.raw.emit('close'));
    splice(taken.socket, target);
  });
}
