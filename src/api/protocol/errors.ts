// Turns every failure into the error envelope: our ApiErrors as they are, fastify's own
// errors (body too large, unknown media type, bad URL) into the catalog, anything else into
// 500 Internal without leaking a stack or a path.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, NotFound, type Reason } from '../../errors.js';
import { send } from './content.js';

const fastifyCodes: Record<string, [Reason, (e: FastifyError, req?: FastifyRequest) => string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['PayloadTooLarge', (_e, req) => `the request body is larger than ${limitOf(req)}; send a smaller object`],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    'UnsupportedMediaType',
    (_e, req) =>
      `unsupported Content-Type ${mediaTypeOf(req)}: send application/json or application/yaml (PATCH: application/merge-patch+json or application/json-patch+json)`,
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['BadRequest', () => 'the Content-Length header does not match the body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['BadRequest', () => 'the request body is empty: send a JSON object'],
  FST_ERR_BAD_URL: ['BadRequest', () => 'the URL is malformed (bad percent-encoding?)'],
  FST_ERR_MAX_PARAM_LENGTH: ['BadRequest', () => 'a path segment of the URL is too long: names are at most 256 characters'],
  FST_ERR_CTP_INVALID_TYPE: ['BadRequest', () => 'the Content-Type header is malformed'],
};

// Fastify's message does not say the limit; the route's options do (it is configurable).
function limitOf(req?: FastifyRequest): string {
  const bytes = req?.routeOptions.bodyLimit;
  if (!bytes) return "the server's limit";
  return `the limit of ${bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${Math.ceil(bytes / 1024)} KiB`}`;
}
// Fastify's error no longer names the media type; the request's header does.
function mediaTypeOf(req?: FastifyRequest): string {
  const type = req?.headers['content-type'];
  return type ? `"${type.split(';')[0]!.trim().slice(0, 100)}"` : '(none)';
}

export function toApiError(err: unknown, req?: FastifyRequest): ApiError {
  if (err instanceof ApiError) return err;
  const fe = err as FastifyError;
  const mapped = fe?.code ? fastifyCodes[fe.code] : undefined;
  if (mapped) return new ApiError(mapped[0], mapped[1](fe, req));
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new ApiError('BadRequest', fe.message);
  }
  return new ApiError('Internal', 'internal error; the server log has the details');
}

export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const apiErr = toApiError(err, req);
    if (apiErr.code >= 500 && !(err instanceof ApiError)) req.log.error({ err, reqId: req.id, url: req.url, method: req.method }, 'request failed');
    return sendError(req, reply, apiErr);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(req, reply, new NotFound(`no such resource: ${req.method} ${req.url.split('?')[0]}; GET /api lists what this server serves`)),
  );
}

export function sendError(req: FastifyRequest, reply: FastifyReply, err: ApiError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return send(req, reply, err.code, err.toBody());
}
