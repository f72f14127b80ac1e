// GET /api/v1/namespaces/{ns}/datasets/{name}/content: a dataset's bytes, relayed from the agent
// that holds its live copy (as the task proxy relays logs): the new primary of a move pulls
// them through here, so agents never talk to each other and the server checks who asks (the
// node authorizer lets only the new primary read them). Backpressure is kept end to end: a
// slow reader slows the sender, and the server buffers no more than a socket's worth.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, Unavailable } from '../errors.js';
import type { Registry } from '../registry/index.js';
import { agentDispatcher, type AgentPki } from './agent-tls.js';
import type { OpenStreams } from './open-streams.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';

const BASES = ['/api/v1/datasets', '/api/v1/namespaces/:namespace/datasets'];

export function registerDatasetContent(app: FastifyInstance, registry: Registry, streams: OpenStreams, pki?: AgentPki, answerMs = 10_000): void {
  const relay = async (req: FastifyRequest, reply: FastifyReply) => {
    const { name, namespace } = req.params as { name: string; namespace?: string };
    const { dataset, machine, endpoint } = await registry.datasetHolder(contextOf(req), name, namespace);
    const dispatcher = await agentDispatcher(pki, machine, endpoint);
    const abort = new AbortController();
    reply.raw.on('close', () => abort.abort());
    // The holder has answerMs to start answering; the stream may then take as long as the bytes do.
    const silent = setTimeout(() => abort.abort(new Error(`no answer in ${answerMs / 1000}s`)), answerMs);
    let res: Response;
    try {
      res = await fetch(`${endpoint}/v1/datasets/${encodeURIComponent(dataset.spec.id!)}/content`, { signal: abort.signal, dispatcher } as RequestInit);
    } catch (err) {
      void dispatcher.close();
      const why = abort.signal.aborted && abort.signal.reason instanceof Error ? abort.signal.reason.message : ((err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message);
      throw new Unavailable(`cannot reach the agent holding dataset "${name}" (machine ${machine}): ${why}`);
    } finally {
      clearTimeout(silent);
    }
    if (!res.ok || !res.body) {
      void dispatcher.close();
      throw new ApiError(res.status === 404 ? 'NotFound' : res.status === 409 ? 'Conflict' : 'Unavailable', `the agent of machine ${machine} answered: ${await agentMessage(res)}`);
    }
    reply.hijack();
    streams.add(reply.raw, () => {
      abort.abort();
      reply.raw.destroy();
    });
    reply.raw.writeHead(200, { 'content-type': 'application/x-tar', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    try {
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), reply.raw);
    } catch {
      // Either end went away: the reader must see a cut stream, never a clean end.
      reply.raw.destroy();
    } finally {
      void dispatcher.close();
    }
  };
  for (const base of BASES) route(app, `${base}/:name/content`, { GET: relay });
}

async function agentMessage(res: Response): Promise<string> {
  const text = await res.text();
  try {
    return (JSON.parse(text) as { error: { message: string } }).error.message;
  } catch {
    return text.slice(0, 200);
  }
}
