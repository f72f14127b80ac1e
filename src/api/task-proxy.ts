// Task subresources served by the task's agent: /log, /kill and /exec. The server looks up the
// machine's agent endpoint and streams the agent's answer back, so users only ever talk to the
// server (as the Kubernetes API server does for the kubelet's logs and exec).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { agentRefusal } from './agent-answer.js';
import { BadRequest, Conflict, Unavailable } from '../errors.js';
import type { Task } from '../model/index.js';
import type { Registry } from '../registry/index.js';
import { agentDispatcher, type AgentPki } from './agent-tls.js';
import { execSessionHandler } from './exec-session.js';
import type { OpenStreams } from './open-streams.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';
import { durationParam, intParam, single, type Query } from './resources/params.js';

export type { AgentPki };

/** How long an agent has to start answering by default (a log follow may then last). */
const AGENT_ANSWER_MS = 10_000;

export function registerTaskProxy(app: FastifyInstance, registry: Registry, streams: OpenStreams, pki?: AgentPki, answerMs = AGENT_ANSWER_MS): void {
  const forward = async (req: FastifyRequest, reply: FastifyReply, task: Task, endpoint: string, path: string, init: RequestInit) => {
    const dispatcher = await agentDispatcher(pki, task.spec.machine!, endpoint);
    const abort = new AbortController();
    reply.raw.on('close', () => abort.abort());
    // A silent agent must not hold the request forever: it has answerMs to start answering.
    const silent = setTimeout(() => abort.abort(new Error(`no answer in ${answerMs / 1000}s`)), answerMs);
    let res: Response;
    try {
      res = await fetch(endpoint + path, { ...init, signal: abort.signal, dispatcher } as RequestInit);
    } catch (err) {
      void dispatcher.close();
      const why = abort.signal.aborted && abort.signal.reason instanceof Error ? abort.signal.reason.message : ((err as { cause?: { code?: string; message?: string } }).cause?.message ?? (err as Error).message);
      throw new Unavailable(`cannot reach the task's agent: ${why}`);
    } finally {
      clearTimeout(silent);
    }
    reply.raw.on('close', () => void dispatcher.close());
    if (!res.ok) {
      throw agentRefusal(res.status, await res.text());
    }
    reply.hijack();
    // On shutdown the upstream is cut and the stream ends: a log follow or exec never holds the server.
    streams.add(reply.raw, () => {
      abort.abort();
      reply.raw.end();
    });
    reply.raw.writeHead(200, { 'content-type': res.headers.get('content-type') ?? 'text/plain', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) reply.raw.write(chunk);
    } catch {
      // the client or the agent went away
    }
    reply.raw.end();
  };

  for (const base of BASES) route(app, `${base}/:name/log`, {
    GET: async (req, reply) => {
      const q = req.query as Query;
      const { task, endpoint } = await registry.taskEndpoint(contextOf(req), nameOf(req), 'log', namespaceOf(req));
      const params = new URLSearchParams();
      const tail = intParam(q, 'tail');
      if (tail !== undefined) params.set('tail', String(tail));
      const since = single(q, 'since');
      if (since) params.set('since', sinceToTime(q));
      const stream = single(q, 'stream');
      if (stream !== undefined) {
        if (stream !== 'stdout' && stream !== 'stderr') throw new BadRequest(`parameter stream must be stdout or stderr, got "${stream}"`);
        params.set('stream', stream);
      }
      if (single(q, 'follow') === 'true') params.set('follow', 'true');
      if (single(q, 'timestamps') === 'true') params.set('timestamps', 'true');
      return forward(req, reply, task, endpoint, `/v1/tasks/${task.metadata.uid}/log?${params}`, { method: 'GET' });
    },
  });

  for (const base of BASES) route(app, `${base}/:name/kill`, {
    POST: async (req, reply) => {
      const { task, endpoint } = await registry.taskEndpoint(contextOf(req), nameOf(req), 'kill', namespaceOf(req));
      const body = (req.body ?? {}) as { signal?: unknown };
      if (body.signal !== undefined && typeof body.signal !== 'string' && typeof body.signal !== 'number') {
        throw new BadRequest('signal must be a name like "SIGTERM" or a number');
      }
      return forward(req, reply, task, endpoint, `/v1/tasks/${task.metadata.uid}/kill`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ signal: body.signal === undefined ? 'SIGTERM' : String(body.signal) }),
      });
    },
  });

  const execSession = execSessionHandler(registry, streams, pki, answerMs);
  for (const base of BASES) route(app, `${base}/:name/exec`, {
    // A WebSocket: an interactive session (see exec-session.ts).
    GET: execSession,
    POST: async (req, reply) => {
      const { task, endpoint } = await registry.taskEndpoint(contextOf(req), nameOf(req), 'exec', namespaceOf(req));
      const body = (req.body ?? {}) as { command?: unknown; stdin?: unknown };
      if (!Array.isArray(body.command) || body.command.length === 0 || !body.command.every((a) => typeof a === 'string')) {
        throw new BadRequest('command must be a non-empty array of strings, e.g. {"command":["ls","-l"]}');
      }
      if (body.stdin !== undefined && typeof body.stdin !== 'string') throw new BadRequest('stdin must be a string');
      if (task.status?.phase !== 'Running') throw new Conflict(`task "${task.metadata.name}" is not running (phase ${task.status?.phase ?? 'Pending'})`);
      return forward(req, reply, task, endpoint, `/v1/tasks/${task.metadata.uid}/exec`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ command: body.command, stdin: body.stdin }),
      });
    },
  });
}

const nameOf = (req: FastifyRequest) => (req.params as { name: string }).name;
/** The URL's namespace; the old URLs without one mean "default". */
const namespaceOf = (req: FastifyRequest) => (req.params as { namespace?: string }).namespace;
const BASES = ['/api/v1/tasks', '/api/v1/namespaces/:namespace/tasks'];

/**
 * `since` as an RFC 3339 time, or a duration back from now ("10m", "30s"), written as the agent's
 * log records are (UTC, nine fraction digits) so that their text order is their time order: a
 * client resuming a follow from its last record's time gets no line twice and loses none.
 */
function sinceToTime(q: Query): string {
  const v = single(q, 'since')!;
  const utc = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/i.exec(v);
  if (utc) return `${utc[1]}.${(utc[2] ?? '').padEnd(9, '0')}Z`;
  if (/^\d{4}-\d\d-\d\dT/.test(v) && !Number.isNaN(Date.parse(v))) return nanoTime(new Date(Date.parse(v)));
  const ms = durationParam(q, 'since', 365 * 24 * 3_600_000);
  return nanoTime(new Date(Date.now() - ms!));
}

const nanoTime = (d: Date) => d.toISOString().replace(/Z$/, '000000Z');
