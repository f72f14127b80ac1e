// POST to a collection; PUT, PATCH and DELETE of one object. Parse, call the registry, encode.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors.js';
import type { AnyObject } from '../../model/index.js';
import type { KindRegistry, Patch } from '../../registry/index.js';
import { contextOf } from '../protocol/context.js';
import { JSON_PATCH, MERGE_PATCH } from '../protocol/content.js';
import { durationParam, type Query } from './params.js';
import { ifMatch } from './preconditions.js';
import { locationOf, sendObject } from './respond.js';
import { doorOf } from './register.js';

export const MAX_WAIT_MS = 5 * 60_000;

export function writeHandlers(kindRegistry: KindRegistry) {
  const kind = kindRegistry.kind;
  const nameOf = (req: FastifyRequest) => (req.params as { name: string }).name;

  const create = async (req: FastifyRequest, reply: FastifyReply) => {
    // Parsed before the create: a bad ?wait= must not leave work started behind its 400.
    const waitMs = kind.options.async ? durationParam(req.query as Query, 'wait', MAX_WAIT_MS) : undefined;
    const registry = doorOf(kindRegistry, req);
    const created = await registry.create(contextOf(req), req.body);
    req.auditName = created.metadata.name;
    if (kind.options.async) return respondAsync(req, reply, registry, created, true, waitMs);
    reply.header('location', locationOf(kind.plural, created.metadata.name, created.metadata.namespace));
    return sendObject(req, reply, 201, created);
  };

  const replace = async (req: FastifyRequest, reply: FastifyReply) => {
    const name = nameOf(req);
    const { object, created } = await doorOf(kindRegistry, req).replace(contextOf(req), name, req.body, ifMatch(req));
    if (created) reply.header('location', locationOf(kind.plural, name, object.metadata.namespace));
    return sendObject(req, reply, created ? 201 : 200, object);
  };

  const patch = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = patchOf(req);
    return sendObject(req, reply, 200, await doorOf(kindRegistry, req).patch(contextOf(req), nameOf(req), p, ifMatch(req)));
  };

  const remove = async (req: FastifyRequest, reply: FastifyReply) => {
    const last = await doorOf(kindRegistry, req).delete(contextOf(req), nameOf(req), ifMatch(req));
    // Finalizers still hold it: deletion has started and finishes when they are removed.
    return sendObject(req, reply, last.metadata.deletionTimestamp ? 202 : 200, last);
  };

  return { create, replace, patch, remove };
}

/** The patch a PATCH request carries; its Content-Type says which kind of patch it is. */
export function patchOf(req: FastifyRequest): Patch {
  const media = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (media === MERGE_PATCH) return { type: 'merge', body: req.body };
  if (media === JSON_PATCH) return { type: 'json', body: req.body };
  throw new ApiError(
    'UnsupportedMediaType',
    `PATCH needs Content-Type ${MERGE_PATCH} (a partial object) or ${JSON_PATCH} (a list of operations), got "${media}"`,
  );
}

/** An asynchronous kind (Operations): 202 while the work runs, or the result once ?wait= saw it finish. */
export async function respondAsync(req: FastifyRequest, reply: FastifyReply, registry: KindRegistry, obj: AnyObject, created: boolean, waitMs: number | undefined) {
  const isDone = registry.kind.options.async!.isDone;
  let current: AnyObject | undefined = obj;
  if (waitMs && !isDone(obj)) current = (await registry.waitFor(obj.metadata.name, isDone, waitMs)) ?? obj;
  if (created) reply.header('location', locationOf(registry.plural, current.metadata.name, current.metadata.namespace));
  return sendObject(req, reply, isDone(current) ? (created ? 201 : 200) : 202, current);
}
