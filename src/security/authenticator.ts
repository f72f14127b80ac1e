// Authenticators → one principal: a bearer token, HTTP basic, a client certificate signed by the
// cluster CA, or the peer of the unix socket. Per request this reads only memory (the watch
// caches of Token and User, a per-connection memo of the client certificate, and a memo of
// verified passwords), so authentication costs a GET little: see bench/api.ts.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import type { Authenticator } from '../api/protocol/auth.js';
import type { TokenSpec, UserSpec } from '../model/index.js';
import { LoginLimiter } from './login-limiter.js';
import { anonymous, BOOTSTRAPPERS_GROUP, type Principal } from './principal.js';
import { parseToken, sameDigest, sha256, verifyPassword } from './secrets.js';
import { authorizationFromProtocols } from './websocket-credential.js';

/** Where the authenticator finds credentials: the watch caches, never the store. */
export interface CredentialLookup {
  token(id: string): { spec: TokenSpec } | undefined;
  user(name: string): { spec: UserSpec } | undefined;
}

export interface ClusterAuthenticatorOptions {
  credentials: CredentialLookup;
  limiter?: LoginLimiter;
  now?: () => number;
}

export const WWW_AUTHENTICATE = 'Bearer realm="drover", Basic realm="drover"';

/**
 * Paths anyone may read: probes and the list of API versions (as in Kubernetes), and the web
 * console's files (they hold no data: the page asks the API with the user's credential).
 */
function isOpen(req: FastifyRequest): boolean {
  const url = req.url;
  const path = url.includes('?') ? url.slice(0, url.indexOf('?')) : url;
  const isRead = req.method === 'GET' || req.method === 'HEAD';
  return path === '/healthz' || path === '/readyz' || (isRead && (path === '/api' || path === '/ui' || path.startsWith('/ui/')));
}

export function unauthorized(message: string): ApiError {
  const err = new ApiError('Unauthorized', message);
  err.headers['www-authenticate'] = WWW_AUTHENTICATE;
  return err;
}

export class ClusterAuthenticator implements Authenticator {
  /** Principals of connections authenticated once for all their requests (unix socket peers, client certificates). */
  private readonly byConnection = new WeakMap<Socket, Principal | null>();
  /** Tokens verified before → the Token object they were verified against, and their principal (one object per token). */
  private readonly tokens = new Map<string, { id: string; stored: { spec: TokenSpec }; principal: Principal }>();
  /** `user\0sha256(password)` → the stored hash it was verified against: scrypt once per password change. */
  private readonly verified = new Map<string, string>();
  readonly limiter: LoginLimiter;
  private readonly now: () => number;

  constructor(private readonly opts: ClusterAuthenticatorOptions) {
    this.limiter = opts.limiter ?? new LoginLimiter();
    this.now = opts.now ?? Date.now;
  }

  /** Every request on this connection is made by `principal` (the unix socket listener says who its peer is). */
  trustConnection(socket: Socket, principal: Principal): void {
    this.byConnection.set(socket, principal);
  }

  authenticate(req: FastifyRequest): Principal | Promise<Principal> {
    const header = req.headers.authorization ?? authorizationFromProtocols(req.headers);
    if (header !== undefined) return this.fromHeader(req, header);
    const socket = req.raw.socket;
    const known = this.byConnection.get(socket);
    if (known) return known;
    if (known === undefined && (socket as TLSSocket).encrypted) {
      const p = this.fromCertificate(socket as TLSSocket);
      this.byConnection.set(socket, p);
      if (p) return p;
    }
    if (isOpen(req)) return anonymous;
    throw unauthorized('this request needs credentials: a bearer token, a user and password, or a client certificate from the cluster CA (the context `drover server` wrote has them)');
  }

  private fromHeader(req: FastifyRequest, header: string): Principal | Promise<Principal> {
    const address = req.raw.socket.remoteAddress ?? 'local';
    const wait = this.limiter.retryAfterSeconds(address);
    if (wait > 0) {
      const err = new ApiError('TooManyRequests', `too many failed logins from ${address}; try again in ${wait}s`);
      err.headers['retry-after'] = String(wait);
      throw err;
    }
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (scheme === 'bearer') return this.fromToken(address, value);
    if (scheme === 'basic') return this.fromBasic(address, value);
    throw this.failure(address, `unsupported Authorization scheme "${header.slice(0, Math.max(0, space)).slice(0, 20)}"; use Bearer or Basic`);
  }

  private fromToken(address: string, token: string): Principal {
    // A token seen before skips parsing and hashing: it is still good while its Token object is
    // the very one (a revoke or change makes a new object, or none, in the watch cache).
    const memo = this.tokens.get(token);
    if (memo && this.opts.credentials.token(memo.id) === memo.stored) return this.unexpired(address, memo.stored.spec, memo.principal);
    const parsed = parseToken(token);
    const stored = parsed && this.opts.credentials.token(parsed.id);
    if (!parsed || !stored || !sameDigest(stored.spec.secretHash, parsed.secretHash)) throw this.failure(address, 'the bearer token is not valid (unknown or revoked)');
    const spec = stored.spec;
    const principal: Principal =
      spec.purpose === 'join' ? { name: `system:bootstrap:${parsed.id}`, groups: [BOOTSTRAPPERS_GROUP], anonymous: false } : { name: spec.user, groups: spec.groups, anonymous: false };
    if (this.tokens.size >= 10_000) this.tokens.clear();
    this.tokens.set(token, { id: parsed.id, stored, principal });
    return this.unexpired(address, spec, principal);
  }

  private unexpired(address: string, spec: TokenSpec, principal: Principal): Principal {
    if (spec.expiresAt && Date.parse(spec.expiresAt) <= this.now()) throw this.failure(address, `the bearer token expired at ${spec.expiresAt}`);
    return principal;
  }

  private async fromBasic(address: string, value: string): Promise<Principal> {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const name = decoded.slice(0, Math.max(0, colon));
    const password = decoded.slice(colon + 1);
    const user = colon > 0 ? this.opts.credentials.user(name) : undefined;
    if (!user) {
      // The same cost as a wrong password: timing must not tell which user names exist.
      await verifyPassword(password, DUMMY_HASH);
      throw this.failure(address, 'wrong user name or password');
    }
    const memo = `${name}\0${sha256(password)}`;
    if (this.verified.get(memo) !== user.spec.passwordHash) {
      if (!(await verifyPassword(password, user.spec.passwordHash))) throw this.failure(address, 'wrong user name or password');
      if (this.verified.size > 10_000) this.verified.clear();
      this.verified.set(memo, user.spec.passwordHash);
    }
    return { name, groups: user.spec.groups, anonymous: false };
  }

  private fromCertificate(socket: TLSSocket): Principal | null {
    if (!socket.authorized) return null;
    // null once the socket is destroyed (a client gone mid-request): no certificate, not a crash.
    const subject = socket.getPeerCertificate()?.subject;
    if (!subject?.CN) return null;
    const cn = [subject.CN].flat()[0]!;
    const groups = subject.O === undefined ? [] : [subject.O].flat();
    return { name: cn, groups, anonymous: false };
  }

  private failure(address: string, message: string): ApiError {
    this.limiter.failed(address);
    return unauthorized(message);
  }
}

// A valid hash of a random password, verified against when the user does not exist.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
