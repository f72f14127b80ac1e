// The generic handlers every kind gets: list/watch/create on the collection, get/replace/
// patch/delete on an item, and the /status subresource. A kind file never repeats these.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AlreadyExists, BadRequest, Conflict, Gone, NotFound, PreconditionFailed } from '../../errors.js';
import type { AnyObject } from '../../state/object.js';
import type { Preconditions } from '../../state/resources.js';
import { CacheBehindError, type State } from '../../state/state.js';
import type { Entry, WatchCache } from '../../state/watch-cache.js';
import { CompactedError, StoreUnavailableError } from '../../store/store.js';
import type { Kind } from '../kinds/kind.js';
import { authorize } from '../protocol/auth.js';
import { responseFormat, send } from '../protocol/content.js';
import { route } from '../protocol/routes.js';
import { nameProblem } from './names.js';
import { requireObjectBody, toObject, toStatus } from './objects.js';
import {
  boolParam,
  durationParam,
  encodePageToken,
  filterParams,
  intParam,
  pageTokenParam,
  single,
  type Query,
} from './params.js';
import { applyPatch, patchType } from './patch.js';
import { serveWatch, type WatchTracker } from './watch.js';

export interface ResourceContext {
  state: State;
  watches: WatchTracker;
  maxWatchBufferedBytes: number;
}

const MAX_WAIT_MS = 5 * 60_000;

/**
 * A read without a revision is current (see State.syncObject/syncKind); when the store cannot
 * answer (etcd lost quorum) it is served from the cache instead, so reads keep working while
 * writes cannot. A cache that cannot catch up answers 503.
 */
async function consistent<T>(sync: Promise<T>): Promise<T | undefined> {
  try {
    return await sync;
  } catch (err) {
    if (err instanceof StoreUnavailableError && !(err instanceof CacheBehindError)) return undefined;
    throw err;
  }
}

export function registerKind(app: FastifyInstance, kind: Kind, ctx: ResourceContext): void {
  const { state } = ctx;
  const repo = state.resources(kind.plural);
  const cache = state.cache(kind.plural);
  const base = `/api/v1/${kind.plural}`;
  const can = (v: string) => kind.verbs.includes(v as never);
  const what = (name: string) => `${kind.kind.toLowerCase()} "${name}"`;
  // Encoded: a URL parser reads a raw backslash (allowed in names, e.g. systemd's \x2d) as "/".
  const locationOf = (name: string) => `${base}/${encodeURIComponent(name)}`;

  const nameOf = (req: FastifyRequest): string => {
    const name = (req.params as { name: string }).name;
    const problem = nameProblem(name);
    if (problem) throw new BadRequest(`invalid name in the URL: ${problem}`);
    return name;
  };

  const sendObject = (req: FastifyRequest, reply: FastifyReply, code: number, obj: AnyObject | undefined, bytes?: Buffer) => {
    if (obj) reply.header('etag', `"${obj.metadata.revision}"`);
    return send(req, reply, code, bytes ?? obj);
  };

  /** The newest revision this server can vouch for: its cache's, or after a consistent read (several servers) the store's. */
  const currentRevision = async (): Promise<number> => Math.max(cache.revision, (await consistent(state.syncKind(kind.plural))) ?? 0);

  const watch = async (req: FastifyRequest, reply: FastifyReply, name?: string) => {
    authorize(req, 'watch', kind.plural);
    const q = req.query as Query;
    const filter = filterParams(q, kind);
    if (name !== undefined) filter.name = name;
    const lastEventId = req.headers['last-event-id'];
    let revision = intParam(q, 'revision');
    if (revision === undefined && typeof lastEventId === 'string' && /^\d+$/.test(lastEventId)) revision = Number(lastEventId);
    if (revision === 0) revision = undefined;
    // A revision from another server (a client failing over) may be ahead of this cache.
    if (revision !== undefined && revision > cache.revision) {
      const current = await currentRevision();
      if (revision > current) throw new BadRequest(`parameter revision ${revision} is newer than the server's current revision ${current}`);
    }
    serveWatch(
      req,
      reply,
      cache,
      filter,
      {
        revision,
        diff: boolParam(q, 'diff'),
        sse: (req.headers.accept ?? '').includes('text/event-stream'),
        timeoutMs: durationParam(q, 'timeoutSeconds', 24 * 3_600_000),
        maxBufferedBytes: ctx.maxWatchBufferedBytes,
      },
      ctx.watches,
    );
  };

  const list = async (req: FastifyRequest, reply: FastifyReply) => {
    const q = req.query as Query;
    if (boolParam(q, 'watch')) return watch(req, reply);
    authorize(req, 'list', kind.plural);
    const filter = filterParams(q, kind);
    const limit = intParam(q, 'limit') || Infinity;
    const token = pageTokenParam(q);
    // A first page is current; a later one is read at its token's revision, which another
    // server may have issued before this cache got there.
    const current = !token || token.r > cache.revision ? await currentRevision() : cache.revision;
    if (token && token.r > current) {
      throw new BadRequest('invalid pageToken: it names a revision this server has not reached; pass the nextPageToken of the previous page unchanged');
    }
    const minRevision = intParam(q, 'revision');
    if (minRevision !== undefined && minRevision > current) {
      throw new BadRequest(`parameter revision ${minRevision} is newer than the server's current revision ${current}`);
    }
    let revision = cache.revision;
    let items: Buffer[] = [];
    let lastName: string | undefined;
    let more = false;
    if (!token || token.r === cache.revision) {
      for (const e of cache.select(filter, token?.k)) {
        if (items.length === limit) {
          more = true;
          break;
        }
        items.push(e.json);
        lastName = e.object.metadata.name;
      }
    } else {
      // A later page of a list whose snapshot has moved on: read the store as of the token's revision.
      revision = token.r;
      ({ items, lastName, more } = await pageFromStore(repo, cache, filter, token.r, token.k, limit));
    }
    const metadata: Record<string, unknown> = { revision };
    if (more && lastName !== undefined) metadata.nextPageToken = encodePageToken({ r: revision, k: lastName });
    const head = Buffer.from(`{"apiVersion":"drover/v1","kind":"${kind.kind}List","metadata":${JSON.stringify(metadata)},"items":[`);
    const parts: Buffer[] = [head];
    items.forEach((b, i) => {
      if (i) parts.push(COMMA);
      parts.push(b);
    });
    parts.push(END);
    return send(req, reply, 200, Buffer.concat(parts));
  };

  const respondAsync = async (req: FastifyRequest, reply: FastifyReply, obj: AnyObject, created: boolean, waitMs: number | undefined) => {
    const isDone = kind.options.async!.isDone;
    let current: AnyObject | undefined = obj;
    if (waitMs && !isDone(obj)) current = (await waitFor(cache, obj.metadata.name, isDone, waitMs)) ?? obj;
    if (created) reply.header('location', locationOf(current.metadata.name));
    return sendObject(req, reply, isDone(current) ? (created ? 201 : 200) : 202, current);
  };

  /**
   * A generated name is checked against the cache, but two creates in flight together (or on two
   * servers) can draw the same one: the loser draws again instead of answering 409 to a client
   * that never chose the name.
   */
  const createWithName = async (obj: AnyObject, generatedFrom: string | undefined): Promise<AnyObject> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await repo.create(obj);
      } catch (err) {
        if (!(err instanceof AlreadyExists) || generatedFrom === undefined || attempt >= 5) throw err;
        obj = { ...obj, metadata: { ...obj.metadata, name: repo.generateName(generatedFrom) } };
      }
    }
  };

  const create = async (req: FastifyRequest, reply: FastifyReply) => {
    authorize(req, 'create', kind.plural);
    // Parsed before the create: a bad ?wait= must not leave work started behind its 400.
    const waitMs = kind.options.async ? durationParam(req.query as Query, 'wait', MAX_WAIT_MS) : undefined;
    let generatedFrom: string | undefined;
    const obj = toObject(kind, req.body, { generateName: (p) => repo.generateName((generatedFrom = p)) });
    const created = await createWithName(obj, generatedFrom);
    if (kind.options.async) return respondAsync(req, reply, created, true, waitMs);
    reply.header('location', locationOf(created.metadata.name));
    return sendObject(req, reply, 201, created);
  };

  // GET of a cached object is the hottest path: on SQLite (the cache is current when a write is
  // acknowledged) it answers without awaiting anything; on etcd it first makes the read current
  // across servers (State.syncObject).
  const get = (req: FastifyRequest, reply: FastifyReply) => {
    const name = (req.params as { name: string }).name;
    const entry = cache.get(name);
    // A cached object's name was checked when it was written; only a miss needs checking.
    if (!entry) nameOf(req);
    const q = req.query as Query;
    if (boolParam(q, 'watch')) return watch(req, reply, name);
    authorize(req, 'get', kind.plural);
    // After the quorum read the cache may hold a newer version (or none): look again.
    if (state.consistentReads) return consistent(state.syncObject(kind.plural, name)).then(() => answerGet(req, reply, name, cache.get(name), q));
    return answerGet(req, reply, name, entry, q);
  };

  const answerGet = (req: FastifyRequest, reply: FastifyReply, name: string, entry: Entry | undefined, q: Query) => {
    if (!entry) throw notFound(name);
    if (kind.options.async && single(q, 'wait') !== undefined) return respondAsync(req, reply, entry.object, false, durationParam(q, 'wait', MAX_WAIT_MS));
    reply.header('etag', entry.etag);
    return send(req, reply, 200, entry.json);
  };

  const replace = async (req: FastifyRequest, reply: FastifyReply) => {
    authorize(req, 'update', kind.plural);
    const name = nameOf(req);
    const body = requireObjectBody(req.body);
    const obj = toObject(kind, body, { name });
    const pre = preconditions(req, body.metadata as BodyMetadata | undefined);
    const { object, created } = await repo.apply(obj, pre);
    if (created) reply.header('location', locationOf(name));
    return sendObject(req, reply, created ? 201 : 200, object);
  };

  /** PATCH of the main resource or of /status: the patch applies to the whole object as GET shows it. */
  const patchWith =
    (resource: string, next: (patched: AnyObject, cur: AnyObject, name: string) => AnyObject) => async (req: FastifyRequest, reply: FastifyReply) => {
      authorize(req, 'patch', resource);
      const name = nameOf(req);
      const type = patchType(req.headers['content-type']);
      if (!(await repo.getCurrent(name))) throw notFound(name);
      const updated = await repo.update(
        name,
        (cur) => {
          const patched = applyPatch(type, cur, req.body) as AnyObject;
          checkPatchedPreconditions(patched, cur);
          return next(patched, cur, name);
        },
        preconditions(req),
      );
      return sendObject(req, reply, 200, updated);
    };
  const patch = patchWith(kind.plural, (patched, cur, name) => ({ ...toObject(kind, patched, { name }), status: cur.status }));

  const remove = async (req: FastifyRequest, reply: FastifyReply) => {
    authorize(req, 'delete', kind.plural);
    const name = nameOf(req);
    const last = await repo.delete(name, preconditions(req));
    // Finalizers still hold it: deletion has started and finishes when they are removed.
    return sendObject(req, reply, last.metadata.deletionTimestamp ? 202 : 200, last);
  };

  const putStatus = async (req: FastifyRequest, reply: FastifyReply) => {
    authorize(req, 'update', `${kind.plural}/status`);
    const name = nameOf(req);
    const body = requireObjectBody(req.body);
    const meta = body.metadata as (BodyMetadata & { name?: unknown }) | undefined;
    if (meta?.name !== undefined && meta.name !== name) {
      throw new BadRequest(`the body's metadata.name "${String(meta.name)}" does not match the name in the URL "${name}"`);
    }
    const status = toStatus(kind, body.status);
    const updated = await repo.update(name, (cur) => ({ ...cur, status: allowedStatus(cur, status) }), preconditions(req, meta));
    return sendObject(req, reply, 200, updated);
  };

  const patchStatus = patchWith(`${kind.plural}/status`, (patched, cur) => ({ ...cur, status: allowedStatus(cur, toStatus(kind, patched.status)) }));

  const notFound = (name: string) => new NotFound(`${what(name)} not found`);
  const allowedStatus = (cur: AnyObject, next: Record<string, unknown>) => {
    const refusal = kind.options.statusTransition?.(cur.status as never, next as never);
    if (refusal) throw new Conflict(`${what(cur.metadata.name)}: ${refusal}`);
    return next;
  };

  route(app, base, { GET: list, ...(can('create') ? { POST: negotiated(create) } : {}) });
  route(app, `${base}/:name`, {
    GET: get,
    ...(can('update') ? { PUT: negotiated(replace) } : {}),
    ...(can('patch') ? { PATCH: negotiated(patch) } : {}),
    ...(can('delete') ? { DELETE: negotiated(remove) } : {}),
  });
  route(app, `${base}/:name/status`, {
    GET: get,
    ...(can('update') ? { PUT: negotiated(putStatus) } : {}),
    ...(can('patch') ? { PATCH: negotiated(patchStatus) } : {}),
  });
}

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** Settles the answer's format before a write: a 406 after the write would hide that it happened. */
function negotiated(handler: Handler): Handler {
  return async (req, reply) => {
    responseFormat(req);
    return handler(req, reply);
  };
}

const COMMA = Buffer.from(',');
const END = Buffer.from(']}');

type BodyMetadata = { revision?: unknown; uid?: unknown };

/**
 * If-Match, and metadata.revision in a body, both pin the revision a write applies to;
 * metadata.uid in a body pins the object's identity (an agent's report must not land on a
 * recreated namesake), as in Kubernetes.
 */
function preconditions(req: FastifyRequest, body?: BodyMetadata): Preconditions {
  const bodyRevision = body?.revision;
  let revision: number | undefined;
  const ifMatch = req.headers['if-match'];
  if (ifMatch !== undefined && ifMatch.trim() !== '*') {
    const m = /^(?:W\/)?"?(\d+)"?$/.exec(ifMatch.trim());
    if (!m) throw new BadRequest(`the If-Match header must be an ETag like "42", got ${ifMatch}`);
    revision = Number(m[1]);
  }
  if (bodyRevision !== undefined && bodyRevision !== null) {
    if (typeof bodyRevision !== 'number' || !Number.isSafeInteger(bodyRevision)) {
      throw new BadRequest('metadata.revision must be an integer (the revision you read), or left out');
    }
    if (revision !== undefined && revision !== bodyRevision) {
      throw new BadRequest(`If-Match (${revision}) and metadata.revision (${bodyRevision}) disagree; send one of them`);
    }
    revision = bodyRevision;
  }
  const pre: Preconditions = revision === undefined ? {} : { revision };
  if (body?.uid !== undefined && body.uid !== null) {
    if (typeof body.uid !== 'string') throw new BadRequest('metadata.uid must be a string (the uid you read), or left out');
    pre.uid = body.uid;
  }
  return pre;
}

/** A patch that sets metadata.revision (or metadata.uid) asks for that revision (or object), like If-Match. */
function checkPatchedPreconditions(patched: AnyObject, current: AnyObject): void {
  const meta = (patched as { metadata?: BodyMetadata })?.metadata;
  const what = `${current.kind.toLowerCase()} "${current.metadata.name}"`;
  if (meta?.uid !== undefined && meta.uid !== current.metadata.uid) {
    throw new PreconditionFailed(`${what} has uid ${current.metadata.uid}, not ${String(meta.uid)}: it was deleted and recreated`);
  }
  if (meta?.revision !== undefined && meta.revision !== current.metadata.revision) {
    throw new PreconditionFailed(`${what} has changed: the patch expects revision ${String(meta.revision)}, it is now ${current.metadata.revision}`);
  }
}

async function pageFromStore(
  repo: ReturnType<State['resources']>,
  cache: WatchCache,
  filter: ReturnType<typeof filterParams>,
  revision: number,
  after: string,
  limit: number,
): Promise<{ items: Buffer[]; lastName?: string; more: boolean }> {
  const items: Buffer[] = [];
  let lastName: string | undefined;
  let cursor = after;
  try {
    for (;;) {
      const chunk = Math.min(Number.isFinite(limit) ? limit + 1 : 1000, 1000);
      const page = await repo.pageAt(revision, cursor, chunk);
      for (const obj of page.objects) {
        cursor = obj.metadata.name;
        if (!cache.matches(filter, obj)) continue;
        if (items.length === limit) return { items, lastName, more: true };
        items.push(Buffer.from(JSON.stringify(obj)));
        lastName = obj.metadata.name;
      }
      if (!page.more) return { items, lastName, more: false };
    }
  } catch (err) {
    if (err instanceof CompactedError) {
      throw new Gone(`the list snapshot at revision ${revision} has expired; list again without pageToken`);
    }
    throw err;
  }
}

/** Resolves with the object once `done(object)` holds, or with its latest state at the deadline. */
export function waitFor(cache: WatchCache, name: string, done: (o: AnyObject) => boolean, ms: number): Promise<AnyObject | undefined> {
  const current = cache.get(name)?.object;
  if (!current || done(current)) return Promise.resolve(current);
  return new Promise((resolve) => {
    const finish = (o: AnyObject | undefined) => {
      clearTimeout(timer);
      sub.close();
      resolve(o);
    };
    const timer = setTimeout(() => finish(cache.get(name)?.object), ms);
    const sub = cache.subscribe(
      { name },
      {
        send: (ev, type) => {
          if (type === 'DELETED') finish(undefined);
          else if (done(ev.entry.object)) finish(ev.entry.object);
        },
        bookmark: () => {},
      },
      cache.revision,
    );
  });
}
