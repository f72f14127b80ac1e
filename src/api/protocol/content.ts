// JSON and YAML both ways: request body parsers, and responses encoded as the Accept header
// asks. Lists and single objects are usually already-encoded JSON bytes from the watch cache.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import YAML from 'yaml';
import { ApiError, BadRequest } from '../../errors.js';
import { expandedSize } from './yaml-size.js';

export const JSON_TYPE = 'application/json';
export const YAML_TYPE = 'application/yaml';
export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
const yamlTypes = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];
/** What a YAML body may expand to through aliases: a bit over the largest object it can make. */
const MAX_EXPANDED_YAML = 2 * 1024 * 1024;

export function registerParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser([JSON_TYPE, MERGE_PATCH, JSON_PATCH], { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(new BadRequest('the request body is empty: send a JSON object'));
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new BadRequest(`malformed JSON in the request body: ${(err as Error).message}`));
    }
  });
  app.addContentTypeParser(yamlTypes, { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(new BadRequest('the request body is empty: send a YAML mapping'));
    try {
      const docs = YAML.parseAllDocuments(text);
      if (docs.length !== 1) return done(new BadRequest(`the request body has ${docs.length} YAML documents; send exactly one`));
      const doc = docs[0]!;
      if (doc.errors.length) return done(new BadRequest(`malformed YAML in the request body: ${doc.errors[0]!.message}`));
      const size = expandedSize(doc);
      if (size > MAX_EXPANDED_YAML) {
        return done(new BadRequest(`the YAML body expands to about ${Math.round(size / 1024)} KiB through its aliases; the limit is ${MAX_EXPANDED_YAML / 1024} KiB: use fewer aliases`));
      }
      done(null, doc.toJS({ maxAliasCount: 100 }));
    } catch (err) {
      done(new BadRequest(`malformed YAML in the request body: ${(err as Error).message}`));
    }
  });
}

export type Format = 'json' | 'yaml';

/** The response format the Accept header asks for; 406 when it accepts neither JSON nor YAML. */
export function responseFormat(req: FastifyRequest): Format {
  const accept = req.headers.accept;
  if (!accept) return 'json';
  let best = negotiated.get(accept);
  if (best === undefined) {
    best = negotiate(accept);
    // Clients send one of a handful of Accept values: remember them, but not unboundedly.
    if (negotiated.size >= 256) negotiated.clear();
    negotiated.set(accept, best);
  }
  if (!best) throw new ApiError('NotAcceptable', `cannot answer with "${accept}": accept application/json or application/yaml`);
  return best;
}

const negotiated = new Map<string, Format | null>();

function negotiate(accept: string): Format | null {
  let best: Format | null = null;
  let bestQ = -1;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    const q = Number(params.find((p) => p.trim().startsWith('q='))?.split('=')[1] ?? 1);
    let f: Format | undefined;
    if (type === JSON_TYPE || type === 'application/*' || type === '*/*' || type === 'application/x-ndjson' || type === 'text/event-stream') f = 'json';
    else if (yamlTypes.includes(type)) f = 'yaml';
    if (f && q > bestQ) {
      best = f;
      bestQ = q;
    }
  }
  return best;
}

/**
 * Sends an object, or JSON bytes that already encode it, in the requested format. A success
 * the Accept header does not allow throws NotAcceptable (406); an error is still sent, as JSON.
 */
export function send(req: FastifyRequest, reply: FastifyReply, status: number, body: unknown | Buffer, format?: Format): FastifyReply {
  let f: Format;
  try {
    f = format ?? responseFormat(req);
  } catch (err) {
    if (status < 400) throw err;
    f = 'json';
  }
  reply.code(status);
  if (f === 'yaml') {
    const value = Buffer.isBuffer(body) ? JSON.parse(body.toString('utf8')) : body;
    return reply.type(YAML_TYPE).send(YAML.stringify(value, { aliasDuplicateObjects: false }));
  }
  reply.type(JSON_TYPE);
  return reply.send(Buffer.isBuffer(body) ? body : JSON.stringify(body));
}
