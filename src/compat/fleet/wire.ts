// fleet's wire format: JSON as Go's encoding/json writes it, the error entity, the Content-Type
// rule for writes, page tokens and request bodies decoded the way Go's decoder reads them.
// Reference: fleet's api/serialization.go, api/pagination.go, schema/v1-gen.go.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { goQuote } from '../../units/gostrings.js';

/** Page size of every fleet collection (fleetd's --token-limit default). */
export const FLEET_PAGE_SIZE = 100;

/**
 * The Server header fleetd sends on every answer: "fleetd/" + version.Version (api/mux.go
 * serverInfoMiddleware), the version being what `git describe` said when the release was built.
 */
export const FLEETD_SERVER = 'fleetd/v1.0.0';

/** A failure answered with fleet's error entity. */
export class FleetError extends Error {
  constructor(
    readonly code: number,
    message = '',
  ) {
    super(message);
  }
}

/** JSON.stringify plus Go's HTML-safe escaping (<, >, & and the JS line separators). */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** fleet's sendResponse: Content-Type application/json, exactly, and the Go encoding. */
export function sendFleet(reply: FastifyReply, code: number, body: unknown): FastifyReply {
  return reply.code(code).header('content-type', 'application/json').send(Buffer.from(goJson(body)));
}

/** fleet's sendError: {"error":{"code","message"}}; message is "" when fleet gives none. */
export function sendFleetError(reply: FastifyReply, err: FleetError): FastifyReply {
  return sendFleet(reply, err.code, { error: { code: err.code, message: err.message } });
}

/** An empty success (201, 204): no body, no Content-Type, as Go's WriteHeader alone sends. */
export function sendEmpty(reply: FastifyReply, code: number): FastifyReply {
  return reply.code(code).send();
}

/** fleet's validateContentType: exactly one Content-Type header (raw headers), and it is application/json. */
export function checkContentType(req: FastifyRequest): void {
  const raw = req.raw.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'content-type') values.push(raw[i + 1]!);
  if (values.length !== 1) throw new FleetError(415, `expected 1 Content-Type, got ${values.length}`);
  if (values[0]!.split(';')[0]!.trim() !== 'application/json') throw new FleetError(415, 'only acceptable Content-Type is application/json');
}

/** A page request: fleet's token is (limit, page), two little-endian uint16s in URL-safe base64. */
export interface PageToken {
  limit: number;
  page: number;
}

export function encodePageToken(t: PageToken): string {
  const buf = Buffer.alloc(4);
  buf.writeUInt16LE(t.limit, 0);
  buf.writeUInt16LE(t.page, 2);
  return buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Go's base64.URLEncoding.DecodeString (padded): the same inputs fail, with Go's message. */
function decodeGoBase64Url(s: string): Buffer {
  const text = s.replace(/[\r\n]/g, '');
  const alphabet = /^[A-Za-z0-9_-]$/;
  for (let q = 0; q < text.length; q += 4) {
    const quantum = text.slice(q, q + 4);
    const pad = quantum.indexOf('=');
    for (let j = 0; j < (pad === -1 ? quantum.length : pad); j++) {
      if (!alphabet.test(quantum[j]!)) throw new FleetError(400, `illegal base64 data at input byte ${q + j}`);
    }
    if (pad === 0 || pad === 1) throw new FleetError(400, `illegal base64 data at input byte ${q + pad}`);
    if (pad === -1 && quantum.length < 4) throw new FleetError(400, `illegal base64 data at input byte ${q}`);
    if (pad !== -1) {
      const rest = quantum.slice(pad);
      const want = pad === 2 ? '==' : '=';
      if (rest !== want || q + 4 < text.length) throw new FleetError(400, `illegal base64 data at input byte ${q + pad + (rest.startsWith(want) ? want.length : 1)}`);
    }
  }
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** fleet's findNextPageToken: ?nextPageToken=, validated against the server's page size. */
export function pageTokenFrom(query: URLSearchParams): PageToken {
  const values = query.getAll('nextPageToken');
  if (values.length > 1) throw new FleetError(400, 'too many values for page token');
  if (values.length === 0) return { limit: FLEET_PAGE_SIZE, page: 1 };
  const bytes = decodeGoBase64Url(values[0]!);
  if (bytes.length === 0) throw new FleetError(400, 'EOF');
  if (bytes.length < 4) throw new FleetError(400, 'unexpected EOF');
  const token = { limit: bytes.readUInt16LE(0), page: bytes.readUInt16LE(2) };
  if (token.limit !== FLEET_PAGE_SIZE) throw new FleetError(400, `token limit must be ${FLEET_PAGE_SIZE}`);
  if (token.page === 0) throw new FleetError(400, 'token page must be greater than zero');
  return token;
}

/**
 * One page of `all` and the token of the next page, if there is one (fleet's extract*PageData).
 * A full page always has a next token, so a collection of exactly 100 items ends with an empty
 * page, as fleet's does: only a page that ends past the last item has none.
 */
export function pageOf<T>(all: T[], token: PageToken): { items: T[]; next?: string } {
  const start = (token.page - 1) * token.limit;
  const stop = token.page * token.limit;
  if (start >= all.length) return { items: [] };
  if (stop > all.length) return { items: all.slice(start) };
  return { items: all.slice(start, stop), next: encodePageToken({ limit: token.limit, page: token.page + 1 }) };
}

/** The JSON value Go's json.Decoder would read first from the body; errors worded as Go's. */
export function decodeBody(body: Buffer | undefined): unknown {
  const text = (body ?? Buffer.alloc(0)).toString('utf8');
  if (text.trim() === '') throw new FleetError(400, 'EOF');
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    // Go's decoder stops after the first value and ignores what follows it.
    const after = /after JSON at position (\d+)/.exec(message);
    if (after) return JSON.parse(text.slice(0, Number(after[1])));
    if (/end of JSON input|Unterminated/i.test(message)) throw new FleetError(400, 'unexpected EOF');
    const at = /position (\d+)/.exec(message);
    const pos = at ? Number(at[1]) : text.length - text.trimStart().length;
    const before = text.slice(0, pos).trimEnd().at(-1);
    const what = before === '{' || before === ',' ? 'beginning of object key string' : 'beginning of value';
    throw new FleetError(400, `invalid character '${text[pos] ?? ''}' looking for ${what}`);
  }
}

/** Go's name for a JSON value's type in "cannot unmarshal X into ..." messages. */
export function jsonTypeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** Fields of a JSON object matched as Go does: exact or case-insensitive, the last one wins. */
export function goFields(obj: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const f = fields.find((name) => name === k) ?? fields.find((name) => name.toLowerCase() === k.toLowerCase());
    if (f !== undefined) out[f] = v;
  }
  return out;
}

export { goQuote };
