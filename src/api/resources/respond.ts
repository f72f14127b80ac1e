// Answers shared by the verbs of every kind: an object with its ETag, and the format settled
// before a write happens.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_NAMESPACE, type AnyObject } from '../../model/index.js';
import { responseFormat, send } from '../protocol/content.js';

export type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export function sendObject(req: FastifyRequest, reply: FastifyReply, code: number, obj: AnyObject): FastifyReply {
  reply.header('etag', `"${obj.metadata.revision}"`);
  return send(req, reply, code, obj);
}

/** Settles the answer's format before a write: a 406 after the write would hide that it happened. */
export function negotiated(handler: Handler): Handler {
  return async (req, reply) => {
    responseFormat(req);
    return handler(req, reply);
  };
}

/** Where a created object lives. Encoded: a URL parser reads a raw backslash (allowed in names, e.g. systemd's \x2d) as "/". */
export function locationOf(plural: string, name: string, namespace?: string): string {
  // "default" keeps the short form every client before namespaces knew.
  const under = namespace === undefined || namespace === DEFAULT_NAMESPACE ? '' : `namespaces/${namespace}/`;
  return `/api/v1/${under}${plural}/${encodeURIComponent(name)}`;
}
