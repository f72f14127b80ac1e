// GET of a collection (a list, or a watch with ?watch=true) and of one object.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KindRegistry } from '../../registry/index.js';
import { BadRequest } from '../../errors.js';
import { contextOf } from '../protocol/context.js';
import { send } from '../protocol/content.js';
import { staleWarning } from '../protocol/warning.js';
import { boolParam, durationParam, encodePageToken, filterParams, intParam, pageTokenParam, single, type Query } from './params.js';
import { respondAsync, MAX_WAIT_MS } from './writes.js';
import type { OpenStreams } from '../open-streams.js';
import { serveWatch } from './watch.js';
import { doorOf } from './register.js';

export interface ReadContext {
  streams: OpenStreams;
  maxWatchBufferedBytes: number;
}

const COMMA = Buffer.from(',');
const END = Buffer.from(']}');

export function readHandlers(kindRegistry: KindRegistry, ctx: ReadContext) {
  const kind = kindRegistry.kind;
  // Only kinds whose stored form hides something (secrets) look at ?showValues: other kinds' GET pays nothing.
  const revealable = kind.options.reveal !== undefined;
  const showValues = (q: Query) => revealable && boolParam(q, 'showValues');

  const watch = async (req: FastifyRequest, reply: FastifyReply, name?: string) => {
    const q = req.query as Query;
    if (showValues(q)) throw new BadRequest(`a watch of ${kind.plural} never shows values: leave out showValues, and GET the ones you need`);
    const filter = filterParams(q, kind);
    if (name !== undefined) filter.name = name;
    const lastEventId = req.headers['last-event-id'];
    let revision = intParam(q, 'revision');
    if (revision === undefined && typeof lastEventId === 'string' && /^\d+$/.test(lastEventId)) revision = Number(lastEventId);
    if (revision === 0) revision = undefined;
    const source = await doorOf(kindRegistry, req).watch(contextOf(req), filter, revision);
    serveWatch(
      req,
      reply,
      source,
      {
        diff: boolParam(q, 'diff'),
        sse: (req.headers.accept ?? '').includes('text/event-stream'),
        timeoutMs: durationParam(q, 'timeoutSeconds', 24 * 3_600_000),
        maxBufferedBytes: ctx.maxWatchBufferedBytes,
      },
      ctx.streams,
    );
  };

  const list = async (req: FastifyRequest, reply: FastifyReply) => {
    const q = req.query as Query;
    if (boolParam(q, 'watch')) return watch(req, reply);
    if (showValues(q)) {
      req.auditSubresource = 'values';
      const { revision, items } = await doorOf(kindRegistry, req).revealList(contextOf(req), filterParams(q, kind));
      return send(req, reply, 200, { apiVersion: 'drover/v1', kind: `${kind.kind}List`, metadata: { revision }, items });
    }
    const page = await doorOf(kindRegistry, req).listPage(contextOf(req), {
      filter: filterParams(q, kind),
      limit: intParam(q, 'limit') || Infinity,
      page: pageTokenParam(q),
      minRevision: intParam(q, 'revision'),
    });
    if (page.staleSince) reply.header('warning', staleWarning(page.staleSince));
    const metadata: Record<string, unknown> = { revision: page.revision };
    if (page.next) metadata.nextPageToken = encodePageToken(page.next);
    const parts: Buffer[] = [Buffer.from(`{"apiVersion":"drover/v1","kind":"${kind.kind}List","metadata":${JSON.stringify(metadata)},"items":[`)];
    page.items.forEach((b, i) => {
      if (i) parts.push(COMMA);
      parts.push(b);
    });
    parts.push(END);
    return send(req, reply, 200, Buffer.concat(parts));
  };

  // GET of a cached object is the hottest path: on SQLite the registry answers without awaiting anything.
  const get = (req: FastifyRequest, reply: FastifyReply) => {
    const name = (req.params as { name: string }).name;
    const q = req.query as Query;
    if (boolParam(q, 'watch')) return watch(req, reply, name);
    if (showValues(q)) return revealOne(req, reply, name);
    const registry = doorOf(kindRegistry, req);
    const found = registry.get(contextOf(req), name);
    const answer = ({ value: entry, staleSince }: Exclude<typeof found, Promise<unknown>>) => {
      if (staleSince) reply.header('warning', staleWarning(staleSince));
      if (kind.options.async && single(q, 'wait') !== undefined) return respondAsync(req, reply, registry, entry.object, false, durationParam(q, 'wait', MAX_WAIT_MS));
      reply.header('etag', entry.etag);
      return send(req, reply, 200, entry.json);
    };
    return found instanceof Promise ? found.then(answer) : answer(found);
  };

  const revealOne = async (req: FastifyRequest, reply: FastifyReply, name: string) => {
    req.auditSubresource = 'values';
    const object = await doorOf(kindRegistry, req).reveal(contextOf(req), name);
    reply.header('etag', `"${object.metadata.revision}"`);
    reply.header('cache-control', 'no-store');
    return send(req, reply, 200, object);
  };

  return { list, get };
}
