// Replicante's error shape: replisdk's actix error (src/utils/actix/error.rs) renders
// {"error": true, "error_msg": "…"} with the status, as application/json; an error with its own
// body (the unknown node group's) renders that body instead.
import type { FastifyReply } from 'fastify';

export class ReplicanteError extends Error {
  override name = 'ReplicanteError';
  constructor(
    readonly status: number,
    message: string,
    /** More keys of the body (the SDK's JsonWithBody strategy). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** 400: a required attribute is missing or a value is not valid (the spec's "4xx for invalid requests"). */
export function badAttribute(path: string, problem: string): ReplicanteError {
  return new ReplicanteError(400, `${path} ${problem}`, { attribute: path });
}

export function sendError(reply: FastifyReply, err: ReplicanteError): FastifyReply {
  return reply
    .code(err.status)
    .header('content-type', 'application/json')
    .send(JSON.stringify({ error: true, error_msg: err.message, ...err.extra }));
}

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(JSON.stringify(body));
}
