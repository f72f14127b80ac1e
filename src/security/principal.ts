// Who makes a request: the one principal every authenticator resolves a caller to.
import { NODE_USER_PREFIX, NODES_GROUP } from '../model/index.js';

/** The group of every agent's node identity (CN system:node:<machine>). */
export { NODES_GROUP };

export interface Principal {
  name: string;
  groups: string[];
  anonymous: boolean;
}

export const ADMINISTRATORS_GROUP = 'system:administrators';
/** The group of a join token's principal: it may only exchange the token for a node identity. */
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';
/** The administrator credential `drover server` creates on first start. */
export const ADMIN_USER = 'admin';
/** The server itself when it calls agents (the CN of its client certificate). */
export const SERVER_USER = 'system:server';

/** The principal name of the agent of `machine`. */
export function nodeUser(machine: string): string {
  return `${NODE_USER_PREFIX}${machine}`;
}

/** Everyone, while the server runs without authentication. */
export const anonymousAdministrator: Principal = Object.freeze({ name: 'anonymous', groups: [ADMINISTRATORS_GROUP], anonymous: true });

/** A caller without credentials on a server that authenticates: only the open endpoints answer it. */
export const anonymous: Principal = Object.freeze({ name: 'system:anonymous', groups: [], anonymous: true });

/** The server's own controllers, acting on their own behalf. */
export const systemPrincipal: Principal = Object.freeze({ name: 'system:controllers', groups: [ADMINISTRATORS_GROUP], anonymous: false });

/** The group of the Replicante platform façade's principal (bound to the built-in role replicante-platform). */
export const REPLICANTE_PLATFORMS_GROUP = 'system:replicante-platforms';
/** The Replicante platform façade acting in the registry: its listener does not authenticate, so it acts as itself, with only what it needs. */
export const replicantePrincipal: Principal = Object.freeze({ name: 'system:replicante', groups: [REPLICANTE_PLATFORMS_GROUP], anonymous: false });
