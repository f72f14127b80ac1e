// GET /api/v1/[namespaces/NS/]tasks/NAME/portforward?port=N with `Upgrade: drover-port-forward`:
// one TCP connection to 127.0.0.1:N on the task's machine, as a byte stream. Authenticated and
// authorized like exec (verb create on tasks/portforward), then handed to the task's agent over
// its TLS API; the agent answers 101 only once its connection to the port is up, so "refused" is
// an HTTP error the client can print, not a stream that closes at once.
import { text } from 'node:stream/consumers';
import { agentRefusal } from './agent-answer.js';
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { BadRequest, Conflict, Unavailable } from '../errors.js';
import type { Registry } from '../registry/index.js';
import { markSwitched, PORT_FORWARD_PROTOCOL, splice, takeOverSocket } from '../net/upgrade.js';
import { agentTlsOptions, type AgentPki } from './agent-tls.js';
import type { OpenStreams } from './open-streams.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';
import { single, type Query } from './resources/params.js';

const BASES = ['/api/v1/tasks', '/api/v1/namespaces/:namespace/tasks'];

export function registerPortForward(app: FastifyInstance, registry: Registry, streams: OpenStreams, pki?: AgentPki, answerMs = 10_000): void {
  for (const base of BASES) route(app, `${base}/:name/portforward`, {
    // GET, as a WebSocket handshake: an Upgrade request carries no body (bytes after its head are the stream's).
    GET: async (req, reply) => {
      const port = portParam(req.query as Query);
      const { name, namespace } = req.params as { name: string; namespace?: string };
      const { task, endpoint } = await registry.taskEndpoint(contextOf(req), name, 'portforward', namespace);
      if (String(req.headers.upgrade).toLowerCase() !== PORT_FORWARD_PROTOCOL) throw new BadRequest(`port-forward needs an HTTP Upgrade to "${PORT_FORWARD_PROTOCOL}" (use drover port-forward)`);
      if (task.status?.phase !== 'Running') throw new Conflict(`task "${task.metadata.name}" is not running (phase ${task.status?.phase ?? 'Pending'})`);
      const machine = task.spec.machine!;
      const agent = await connectAgent(endpoint, `/v1/tasks/${task.metadata.uid}/portforward?port=${port}`, agentTlsOptions(pki, machine, endpoint), answerMs);
      const taken = takeOverSocket(req.raw, reply.raw);
      if (!taken) {
        agent.destroy();
        throw new BadRequest(`port-forward needs an HTTP Upgrade to "${PORT_FORWARD_PROTOCOL}" (use drover port-forward)`);
      }
      reply.hijack();
      const { socket, head } = taken;
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${PORT_FORWARD_PROTOCOL}\r\nconnection: Upgrade\r\n\r\n`);
      markSwitched(reply.raw);
      if (head.length) agent.write(head);
      // On shutdown the tunnel is cut: an open port-forward never holds the server.
      streams.add(reply.raw, () => socket.destroy());
      // The response no longer owns the socket, so it never closes by itself: say so for the tracking above.
      socket.once('close', () => reply.raw.emit('close'));
      splice(socket, agent);
    },
  });
}

function portParam(q: Query): number {
  const raw = single(q, 'port');
  const port = Number(raw);
  if (raw === undefined || !Number.isInteger(port) || port < 1 || port > 65535) throw new BadRequest(`parameter port must be a TCP port 1–65535, got ${raw === undefined ? 'none' : `"${raw}"`}`);
  return port;
}

/** The agent's upgraded connection to the port, or its refusal as an ApiError. */
function connectAgent(endpoint: string, path: string, tls: ReturnType<typeof agentTlsOptions>, answerMs: number): Promise<Socket> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: url.hostname, port: url.port, method: 'GET', path, headers: { connection: 'Upgrade', upgrade: PORT_FORWARD_PROTOCOL }, ...tls, agent: false, timeout: answerMs });
    req.once('timeout', () => req.destroy(new Error(`no answer in ${answerMs / 1000}s`)));
    req.once('upgrade', (_res: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.setTimeout(0);
      if (head.length) socket.unshift(head);
      resolve(socket);
    });
    req.once('response', (res: IncomingMessage) => {
      text(res).then((body) => reject(agentRefusal(res.statusCode, body)), reject);
    });
    req.once('error', (err) => reject(new Unavailable(`cannot reach the task's agent: ${err.message}`)));
    req.end();
  });
}
