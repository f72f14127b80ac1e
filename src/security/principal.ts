// Who makes a request: the one principal every authenticator resolves a caller to.

export interface Principal {
  name: string;
  groups: string[];
  anonymous: boolean;
}

export const ADMINISTRATORS_GROUP = 'system:administrators';

/** Everyone, while the server runs without authentication. */
export const anonymousAdministrator: Principal = Object.freeze({ name: 'anonymous', groups: [ADMINISTRATORS_GROUP], anonymous: true });

/** The server's own controllers, acting on their own behalf. */
export const systemPrincipal: Principal = Object.freeze({ name: 'system:controllers', groups: [ADMINISTRATORS_GROUP], anonymous: false });
