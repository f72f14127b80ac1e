// GET /api/v1/[namespaces/NS/]tasks/NAME/exec as a WebSocket: an interactive exec session
// (a terminal in the console, drover exec -it). Authenticated (a browser's credential may come as
// a subprotocol, see src/security/websocket-credential.ts), authorized and audited like POST
// exec; the task's agent is reached over its mTLS API the way port-forward reaches it, and only
// once the agent took the session does the client's handshake complete, so every refusal (403,
// 404, 409, 400) is an HTTP answer, not a socket that closes at once. Messages are relayed as
// they are: the framing (src/model/exec-stream.ts) is the agent's and the client's business.
import { text } from 'node:stream/consumers';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { agentRefusal } from './agent-answer.js';
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws';
import { BadRequest, Conflict, Unavailable } from '../errors.js';
import { EXEC_PROTOCOL, ExecChannel, execFrame, execQueryString, parseExecQuery, type ExecQuery, type ExecRequest } from '../model/exec-stream.js';
import type { Registry } from '../registry/index.js';
import { markSwitched, takeOverSocket, WEBSOCKET_PROTOCOL } from '../net/upgrade.js';
import { agentTlsOptions, type AgentPki } from './agent-tls.js';
import type { OpenStreams } from './open-streams.js';
import { contextOf } from './protocol/context.js';

export function execSessionHandler(registry: Registry, streams: OpenStreams, pki: AgentPki | undefined, answerMs: number): RouteHandlerMethod {
  // The credential a browser offers as a subprotocol is never selected, so never echoed back.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => (offered.has(EXEC_PROTOCOL) ? EXEC_PROTOCOL : false) });
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const { name, namespace } = req.params as { name: string; namespace?: string };
    const { task, endpoint } = await registry.taskEndpoint(contextOf(req), name, 'exec', namespace);
    let exec: ExecRequest;
    try {
      exec = parseExecQuery(req.query as ExecQuery);
    } catch (err) {
      throw new BadRequest((err as Error).message);
    }
    if (String(req.headers.upgrade).toLowerCase() !== WEBSOCKET_PROTOCOL) {
      throw new BadRequest(`GET on exec opens an interactive session and needs a WebSocket upgrade (subprotocol ${EXEC_PROTOCOL}); POST {"command": [...]} runs a command without one`);
    }
    if (task.status?.phase !== 'Running') throw new Conflict(`task "${task.metadata.name}" is not running (phase ${task.status?.phase ?? 'Pending'})`);
    const machine = task.spec.machine!;
    const url = `${endpoint.replace(/^https:/, 'wss:')}/v1/tasks/${task.metadata.uid}/exec?${execQueryString(exec)}`;
    const agent = await connectAgent(url, agentTlsOptions(pki, machine, endpoint), answerMs);
    const taken = takeOverSocket(req.raw, reply.raw);
    if (!taken) {
      agent.terminate();
      throw new BadRequest('an exec session needs a WebSocket upgrade');
    }
    reply.hijack();
    // The response no longer owns the socket, so it never closes by itself: say so for the stream tracking and the audit.
    taken.socket.once('close', () => reply.raw.emit('close'));
    wss.handleUpgrade(req.raw, taken.socket, taken.head, (client) => {
      markSwitched(reply.raw);
      relay(client, agent);
      // On shutdown the session ends, saying so: an open terminal never holds the server.
      streams.add(reply.raw, () => {
        if (client.readyState === WebSocket.OPEN) client.send(execFrame(ExecChannel.status, JSON.stringify({ exitCode: null, error: 'the server is shutting down; the session ended' })));
        client.close(1001);
        agent.terminate();
      });
    });
  };
}

/** Past this many bytes queued for one side, the other side is not read until they are sent. */
const MAX_QUEUED_BYTES = 1024 * 1024;

/** Copies messages both ways until either side closes; the agent kills the command when its side closes. */
export function relay(client: WebSocket, agent: WebSocket): void {
  forward(client, agent);
  forward(agent, client);
  agent.resume();
  client.once('close', () => agent.close(1000));
  // 1005/1006 (no code, abnormal) cannot be sent: the agent's other ends are a plain close or an error.
  agent.once('close', (code: number) => client.close(code === 1000 || code === 1001 ? code : 1011));
  client.on('error', () => client.terminate());
  agent.on('error', () => agent.terminate());
}

/** Sends `from`'s messages to `to`, pausing `from` while `to` is slow: a command's output never piles up here. */
function forward(from: WebSocket, to: WebSocket): void {
  from.on('message', (data: Buffer, isBinary: boolean) => {
    if (to.readyState !== WebSocket.OPEN) return;
    to.send(data, { binary: isBinary }, () => {
      if (from.isPaused && to.bufferedAmount < MAX_QUEUED_BYTES) from.resume();
    });
    if (to.bufferedAmount >= MAX_QUEUED_BYTES) from.pause();
  });
}

/** The agent's WebSocket, open, or its refusal as an ApiError. */
export function connectAgent(url: string, tls: ReturnType<typeof agentTlsOptions>, answerMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    // ws hands these to tls.connect, whose checkServerIdentity returns an Error or undefined (@types/ws says boolean).
    const ws = new WebSocket(url, [EXEC_PROTOCOL], { ...tls, handshakeTimeout: answerMs, perMessageDeflate: false } as unknown as ClientOptions);
    // Paused until relay() listens: the command starts as the agent accepts, and its first output
    // (a shell's prompt) must not be emitted to nobody while the client's handshake completes.
    ws.once('open', () => {
      ws.pause();
      resolve(ws);
    });
    ws.once('unexpected-response', (request, res: IncomingMessage) => {
      text(res).then((body) => {
        request.destroy();
        reject(agentRefusal(res.statusCode, body));
      }, reject);
    });
    ws.once('error', (err) => reject(new Unavailable(`cannot reach the task's agent: ${err.message}`)));
  });
}
