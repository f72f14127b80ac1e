// One place where a request gets its principal and where permissions are decided. Today
// everyone is the anonymous administrator; authentication and permission filtering plug in
// here without touching a handler.
import type { FastifyRequest } from 'fastify';
import { Forbidden } from '../../errors.js';
import type { Verb } from '../kinds/kind.js';

export interface Principal {
  name: string;
  groups: string[];
  anonymous: boolean;
}

export interface Authenticator {
  /** Returns who made the request; throws an Unauthorized ApiError for bad credentials. */
  authenticate(req: FastifyRequest): Principal | Promise<Principal>;
}

export interface Authorizer {
  /** May `principal` use `verb` on `resource` (a kind's plural, or "system")? */
  allowed(principal: Principal, verb: Verb, resource: string): boolean;
}

export const anonymousAdministrator: Principal = Object.freeze({ name: 'anonymous', groups: ['system:administrators'], anonymous: true });

export const anonymousAuthenticator: Authenticator = { authenticate: () => anonymousAdministrator };

export const allowAdministrators: Authorizer = {
  allowed: (p) => p.groups.includes('system:administrators'),
};

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyInstance {
    authorizer: Authorizer;
  }
}

/** Throws Forbidden unless the request's principal may use `verb` on `resource`. */
export function authorize(req: FastifyRequest, verb: Verb, resource: string): void {
  if (!req.server.authorizer.allowed(req.principal, verb, resource)) {
    throw new Forbidden(`${req.principal.name} may not ${verb} ${resource}`);
  }
}
