// The Commissaire API v0 façade (commissaire-http), under /api/v0 on the main listener and,
// when asked for, on its own (listener.ts). Authentication is the server's (HTTP basic against
// drover's users); a request without valid credentials gets Commissaire's 403 "Forbidden", never
// a 401 or WWW-Authenticate. Every other failure is the status code with its reason phrase as a
// text/html body; the caller's permissions are the registry's, whichever door.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Facade, FacadeOptions } from '../../api/facade.js';
import { ApiError } from '../../errors.js';
import { DEFAULT_NAMESPACE } from '../../model/index.js';
import type { CommissaireDoor } from './door.js';
import { route } from './routes.js';
import { bodyParams, CommissaireError, sendFailure, sendJson } from './wire.js';

/** The path every Commissaire route lives under. */
export const COMMISSAIRE_PREFIX = '/api/v0';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export const commissaireFacade: Facade = {
  name: 'commissaire',
  plugin: async (app: FastifyInstance, opts: FacadeOptions) => {
    // get_params reads the body itself, whatever its Content-Type (commctl sends a JSON "{}" even with DELETE).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    app.setErrorHandler((err, req, reply) => {
      const code = statusOf(err);
      if (code >= 500) req.log.error({ err, url: req.url, method: req.method }, 'Commissaire API request failed');
      // A 429's (login lockout, rate limit) or a 503's Retry-After holds at this door too; Commissaire sends no challenge.
      const retryAfter = err instanceof ApiError ? err.headers['retry-after'] : undefined;
      if (retryAfter) reply.header('retry-after', retryAfter);
      return sendFailure(reply, code);
    });
    for (const url of [COMMISSAIRE_PREFIX, `${COMMISSAIRE_PREFIX}/*`]) {
      app.route({ method: [...METHODS], url, exposeHeadRoute: false, handler: (req, reply) => serve(opts, req, reply) });
    }
  },
};

/** The status Commissaire would answer a failure with. */
function statusOf(err: unknown): number {
  if (err instanceof CommissaireError) return err.code;
  if (err instanceof ApiError) {
    // A missing or wrong credential: the authentication middleware's 403, with no challenge.
    if (err.code === 401) return 403;
    // What the native rules refuse is a ValidationError to Commissaire: INVALID_REQUEST, 400.
    if (err.code === 422) return 400;
    return err.code;
  }
  const status = (err as { statusCode?: number }).statusCode;
  // Fastify's own refusals (a body too large…).
  if (typeof status === 'number' && status >= 400 && status < 600) return status;
  return 500;
}

async function serve(opts: FacadeOptions, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const raw = (req.raw.url ?? '/').split('?')[0]!;
  let path: string;
  try {
    // The router matches the decoded PATH_INFO.
    path = decodeURIComponent(raw);
  } catch {
    return sendFailure(reply, 404);
  }
  const found = route(req.method, path);
  if (!found) return sendFailure(reply, 404);
  const door: CommissaireDoor = { registry: opts.registry, ctx: { principal: req.principal, via: 'commissaire' }, namespace: opts.namespace ?? DEFAULT_NAMESPACE };
  const result = await found.handler({ door, args: found.args, params: () => bodyParams(req.body), peer: req.raw.socket.remoteAddress });
  const code = req.method === 'PUT' && !found.route.memberAdd ? 201 : 200;
  return sendJson(reply, code, result);
}
