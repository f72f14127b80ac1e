// Tokens and users through the registry: created, listed and removed with the caller's
// permissions like every object, shown only as views (never a hash), and looked up by the
// authenticator from the watch caches.
import { AlreadyExists, Invalid, NotFound } from '../errors.js';
import type { ApiObject, TokenSpec, TokenView, UserSpec, UserView } from '../model/index.js';
import type { CredentialLookup } from '../security/authenticator.js';
import { hashPassword, newToken } from '../security/secrets.js';
import type { RequestContext } from './context.js';
import type { KindRegistry } from './kind-registry.js';

export type Token = ApiObject<TokenSpec, Record<string, never>>;
export type User = ApiObject<UserSpec, Record<string, never>>;

export interface TokenRequest {
  user: string;
  groups?: string[];
  ttlSeconds?: number;
  purpose?: 'join';
  description?: string;
}

/** Shortest password accepted: a basic-auth password is the whole credential. */
const MIN_PASSWORD = 8;

export class Credentials implements CredentialLookup {
  constructor(
    private readonly tokens: KindRegistry<Token>,
    private readonly users: KindRegistry<User>,
  ) {}

  // ---- the authenticator's lookups: memory only ----

  token(id: string): Token | undefined {
    return this.tokens.cache.get(id)?.object;
  }

  user(name: string): User | undefined {
    return this.users.cache.get(name)?.object;
  }

  // ---- tokens ----

  /** A new token; its secret is in the answer only, never stored. */
  async createToken(ctx: RequestContext, req: TokenRequest): Promise<{ token: string; view: TokenView }> {
    if (req.ttlSeconds !== undefined && !(req.ttlSeconds > 0)) throw new Invalid([{ path: '/spec/ttlSeconds', message: `must be greater than 0, got ${req.ttlSeconds}` }]);
    const t = newToken();
    const spec: TokenSpec = { user: req.user, groups: req.groups ?? [], secretHash: t.secretHash };
    if (req.ttlSeconds !== undefined) spec.expiresAt = new Date(Date.now() + req.ttlSeconds * 1000).toISOString();
    if (req.purpose) spec.purpose = req.purpose;
    if (req.description) spec.description = req.description;
    const created = await this.tokens.create(ctx, { metadata: { name: t.id }, spec });
    return { token: t.token, view: tokenView(created) };
  }

  listTokens(ctx: RequestContext): TokenView[] {
    return this.tokens.list(ctx).map(tokenView);
  }

  async revokeToken(ctx: RequestContext, id: string): Promise<TokenView> {
    return tokenView(await this.tokens.delete(ctx, id));
  }

  // ---- users ----

  async addUser(ctx: RequestContext, name: string, password: string, groups: string[] = []): Promise<UserView> {
    checkPassword(password);
    if (this.users.cache.get(name)) throw new AlreadyExists(`user "${name}" already exists; change the password with drover user passwd ${name}`);
    const created = await this.users.create(ctx, { metadata: { name }, spec: { groups, passwordHash: await hashPassword(password) } });
    return userView(created);
  }

  /** Sets a user's password and, when given, groups. */
  async setPassword(ctx: RequestContext, name: string, password: string, groups?: string[]): Promise<UserView> {
    checkPassword(password);
    const current = this.users.cache.get(name)?.object;
    if (!current) throw new NotFound(`user "${name}" not found; add it with drover user add ${name}`);
    const passwordHash = await hashPassword(password);
    const next = await this.users.update(ctx, name, (u) => ({ ...u, spec: { groups: groups ?? u.spec.groups, passwordHash } }));
    return userView(next);
  }

  listUsers(ctx: RequestContext): UserView[] {
    return this.users.list(ctx).map(userView);
  }

  async deleteUser(ctx: RequestContext, name: string): Promise<UserView> {
    return userView(await this.users.delete(ctx, name));
  }
}

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD) {
    throw new Invalid([{ path: '/password', message: `a password needs at least ${MIN_PASSWORD} characters` }]);
  }
}

export function tokenView(t: Token): TokenView {
  const v: TokenView = { name: t.metadata.name, user: t.spec.user, groups: t.spec.groups, createdAt: t.metadata.createdAt };
  if (t.spec.expiresAt) v.expiresAt = t.spec.expiresAt;
  if (t.spec.purpose) v.purpose = t.spec.purpose;
  if (t.spec.description) v.description = t.spec.description;
  return v;
}

export function userView(u: User): UserView {
  return { name: u.metadata.name, groups: u.spec.groups, createdAt: u.metadata.createdAt, updatedAt: u.metadata.updatedAt };
}
