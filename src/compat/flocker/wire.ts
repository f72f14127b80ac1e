// Flocker's wire: every answer is JSON (application/json), every failure a {"description": …}
// body with Flocker's own status code and words (flocker/restapi/_error.py, the constants at the
// top of flocker/control/httpapi.py). The native envelope never shows at this door.
import type { FastifyReply } from 'fastify';

/** A failure Flocker answers with `{"description": …}` (plus `errors` for a schema violation). */
export class FlockerError extends Error {
  constructor(
    readonly code: number,
    readonly body: { description: string; errors?: string[] },
  ) {
    super(body.description);
  }
}

const fail = (code: number, description: string) => () => new FlockerError(code, { description });

// Flocker's messages, word for word: clients match on them.
export const DECODING_ERROR = fail(400, 'The request body could not be decoded according to the value of the\nContent-Type header.');
export const SCHEMA_MISMATCH = "The provided JSON doesn't match the required schema.";
export const DATASET_ID_COLLISION = fail(409, 'The provided dataset_id is already in use.');
export const PRIMARY_NODE_NOT_FOUND = fail(400, 'The provided primary node is not part of the cluster.');
export const DATASET_NOT_FOUND = fail(404, 'Dataset not found.');
export const DATASET_DELETED = fail(405, 'The dataset has been deleted.');
export const DATASET_ON_DIFFERENT_NODE = fail(409, 'The dataset is on another node.');
export const DATASET_IN_USE = fail(409, 'The dataset is being used by another container.');
export const CONTAINER_NAME_COLLISION = fail(409, 'The container name already exists.');
export const CONTAINER_NOT_FOUND = fail(404, 'Container not found.');
export const CONTAINER_PORT_COLLISION = fail(409, 'A specified external port is already in use.');
export const LINK_PORT_COLLISION = fail(409, "The local ports in a container's links must be unique.");
export const LINK_ALIAS_COLLISION = fail(409, 'Link aliases must be unique.');
export const LEASE_NOT_FOUND = fail(404, 'Lease not found.');
export const LEASE_HELD = fail(409, 'Lease already held.');
export const NODE_BY_ERA_NOT_FOUND = fail(404, 'No node found with given era.');
/** What the native layer refused, in Flocker's shape (it has no words of its own for these). */
export const badRequest = (description: string, code = 400) => new FlockerError(code, { description });

export function sendJson(reply: FastifyReply, code: number, body: unknown, headers: Record<string, string> = {}): FastifyReply {
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  // A Buffer: fastify would append "; charset=utf-8" to a string's type, and Flocker sends none.
  return reply.code(code).header('content-type', 'application/json').send(Buffer.from(JSON.stringify(body)));
}

export function sendFlockerError(reply: FastifyReply, err: FlockerError): FastifyReply {
  return sendJson(reply, err.code, err.body);
}

/** The body as Flocker's `structured` reads it: JSON, or DECODING_ERROR. */
export function decodeBody(body: unknown): unknown {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
  try {
    return JSON.parse(text);
  } catch {
    throw DECODING_ERROR();
  }
}
