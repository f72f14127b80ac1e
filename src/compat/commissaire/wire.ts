// Commissaire's wire (commissaire_http/handlers/__init__.py, JSONRPC_Handler): a success is JSON,
// a failure is a text/html body holding only the status's reason phrase ("Not Found", "Conflict"),
// whatever the handler's message was. Dates are commissaire.constants.DATE_FORMAT: UTC, no zone,
// microseconds.
import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';

/** A failure Commissaire answers with its status code and reason phrase; the message is for logs and tests. */
export class CommissaireError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new CommissaireError(400, message);
export const notFound = (message: string) => new CommissaireError(404, message);
export const notAllowed = (message: string) => new CommissaireError(405, message);
export const conflict = (message: string) => new CommissaireError(409, message);

export function sendJson(reply: FastifyReply, code: number, body: unknown): FastifyReply {
  // A Buffer: fastify would append "; charset=utf-8" to a string's type, and Commissaire sends none.
  return reply.code(code).header('content-type', 'application/json').send(Buffer.from(JSON.stringify(body)));
}

/** `405 Method Not Allowed` → body "Method Not Allowed", as the dispatcher writes `status[4:]`. */
export function sendFailure(reply: FastifyReply, code: number): FastifyReply {
  return reply.code(code).header('content-type', 'text/html').send(Buffer.from(STATUS_CODES[code] ?? 'Error'));
}

/**
 * The request's parameters as get_params reads a PUT body: none when it is empty, else a JSON
 * object. Anything else is 400 (Commissaire answers 400 for what json.loads or dict.update
 * refuse; a bare number or list even makes it fail with 500, which we do not copy).
 */
export function bodyParams(body: unknown): Record<string, unknown> {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('the body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('the body must be a JSON object');
  return value as Record<string, unknown>;
}

/** An optional string parameter: absent → undefined, a string → itself, else 400 (the model's type check). */
export function optionalString(params: Record<string, unknown>, key: string): string | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badRequest(`"${key}" must be a string`);
  return value;
}

/** An optional object parameter (a Python dict): absent → undefined, else 400 unless a plain object. */
export function optionalDict(params: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`"${key}" must be an object`);
  return value as Record<string, unknown>;
}

/** An RFC 3339 time in DATE_FORMAT ('%Y-%m-%dT%H:%M:%S.%f', UTC as utcnow() gives it); '' when there is none. */
export function commissaireDate(rfc3339: string | undefined): string {
  if (!rfc3339) return '';
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) return '';
  const iso = new Date(ms).toISOString(); // 2015-12-17T15:48:18.710Z
  // JavaScript keeps milliseconds; the microseconds Python prints are their multiple.
  const fraction = /\.(\d+)/.exec(rfc3339)?.[1] ?? '';
  const micros = /^\d{6}/.test(fraction) && rfc3339.endsWith('Z') ? fraction.slice(0, 6) : `${iso.slice(20, 23)}000`;
  return `${iso.slice(0, 19)}.${micros}`;
}
