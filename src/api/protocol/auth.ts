// Where an HTTP request gets its principal. Permissions are decided by the registry (through
// src/security's authorizer), whichever door a request comes in by.
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../security/principal.js';

export interface Authenticator {
  /** Returns who made the request; throws an Unauthorized ApiError for bad credentials. */
  authenticate(req: FastifyRequest): Principal | Promise<Principal>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}
