// Logging in: a token, a user and password, the browser's client certificate, or the one-time
// link `drover dev` prints. The session lives in this tab's sessionStorage: closing the tab ends it.
import { Api, type Session } from './api.js';

const KEY = 'drover.console.session';
/** How long the token a login link is exchanged for lasts. */
export const SESSION_TTL_SECONDS = 12 * 3600;

export function savedSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}

export function tokenSession(token: string): Session {
  return { authorization: `Bearer ${token.trim()}`, label: 'token' };
}

export function basicSession(user: string, password: string): Session {
  // btoa takes Latin-1 only: encode the UTF-8 bytes first.
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return { authorization: `Basic ${btoa(String.fromCharCode(...bytes))}`, label: user };
}

/**
 * Who the browser's client certificate makes us, if it presented one the server accepted (an
 * HTTPS server asks for one on every connection; the browser may have chosen one already). The
 * question needs no credential of ours: any caller may ask about itself.
 */
export async function certificateUser(): Promise<string | undefined> {
  try {
    const res = await fetch('/api/v1/auth/can-i?verb=get&resource=namespaces', { headers: { accept: 'application/json' } });
    if (!res.ok) return undefined;
    const user = ((await res.json()) as { status?: { user?: string } }).status?.user;
    // A server that authenticates nobody calls everyone "anonymous": that is no certificate.
    return user && user !== 'anonymous' && user !== 'system:anonymous' ? user : undefined;
  } catch {
    return undefined;
  }
}

/** A session on the client certificate: no header, the TLS connection says who we are. */
export function certificateSession(user: string): Session {
  return { label: user };
}

/** Checks a session against the API (discovery needs a valid credential); throws the API's error. */
export async function verifySession(session: Session): Promise<Session> {
  await new Api(session).discover();
  return session;
}

/**
 * The login link's token, used once: it pays for a session token of the same user (a token for the
 * caller itself, POST /api/v1/tokens), then is revoked with that new token, so a link read later
 * from a terminal's scrollback or a browser history is worth nothing.
 */
export async function exchangeLoginToken(linkToken: string): Promise<Session> {
  const link = new Api(tokenSession(linkToken));
  const created = await link.request<{ token: string; user: string }>('POST', '/api/v1/tokens', { ttlSeconds: SESSION_TTL_SECONDS, description: 'web console session' });
  const session: Session = { ...tokenSession(created.token), label: created.user };
  const id = /^drover\.([0-9a-f]+)\./.exec(linkToken)?.[1];
  if (id) await new Api(session).request('DELETE', `/api/v1/tokens/${id}`);
  return session;
}
