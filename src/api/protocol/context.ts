// The registry's request context of an HTTP request: its principal, and the native API as the door.
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../../registry/index.js';
import { anonymousAdministrator } from '../../security/principal.js';

const anonymousContext: RequestContext = Object.freeze({ principal: anonymousAdministrator, via: 'api' });

export function contextOf(req: FastifyRequest, via = 'api'): RequestContext {
  // Without authentication every request is the same caller: one shared context, no allocation per GET.
  if (req.principal === anonymousAdministrator && via === 'api') return anonymousContext;
  return { principal: req.principal, via };
}
