// The registry's request context of an HTTP request: its principal, and the native API as the door.
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../../registry/index.js';
import { anonymousAdministrator, type Principal } from '../../security/principal.js';

const anonymousContext: RequestContext = Object.freeze({ principal: anonymousAdministrator, via: 'api' });

/** One context per principal object (authenticators hand out one per credential): no allocation per GET. */
const apiContexts = new WeakMap<Principal, RequestContext>();

export function contextOf(req: FastifyRequest, via = 'api'): RequestContext {
  // Without authentication every request is the same caller: one shared context, no allocation per GET.
  if (req.principal === anonymousAdministrator && via === 'api') return anonymousContext;
  if (via !== 'api') return { principal: req.principal, via };
  let ctx = apiContexts.get(req.principal);
  if (!ctx) apiContexts.set(req.principal, (ctx = Object.freeze({ principal: req.principal, via })));
  return ctx;
}
