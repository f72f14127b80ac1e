// /api/v1/tokens and /api/v1/users: credentials through the registry, shown as views (never a
// hash; a token's secret only in the answer that created it).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '../errors.js';
import type { Credentials, Registry } from '../registry/index.js';
import { send } from './protocol/content.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';

export function registerCredentials(app: FastifyInstance, registry: Registry): void {
  const credentials = registry.credentials;
  if (!credentials) return;
  route(app, '/api/v1/tokens', {
    GET: async (req, reply) => send(req, reply, 200, { apiVersion: 'drover/v1', kind: 'TokenList', items: credentials.listTokens(contextOf(req)) }),
    POST: async (req, reply) => createToken(credentials, req).then((body) => send(req, reply, 201, body)),
  });
  route(app, '/api/v1/tokens/:name', {
    DELETE: async (req, reply) => send(req, reply, 200, { kind: 'Token', ...(await credentials.revokeToken(contextOf(req), nameOf(req))) }),
  });
  route(app, '/api/v1/users', {
    GET: async (req, reply) => send(req, reply, 200, { apiVersion: 'drover/v1', kind: 'UserList', items: credentials.listUsers(contextOf(req)) }),
    POST: async (req, reply) => {
      const body = objectBody(req);
      const name = stringField(body, 'name');
      const view = await credentials.addUser(contextOf(req), name, stringField(body, 'password'), groupsField(body));
      return send(req, reply, 201, { kind: 'User', ...view });
    },
  });
  route(app, '/api/v1/users/:name', {
    DELETE: async (req, reply) => send(req, reply, 200, { kind: 'User', ...(await credentials.deleteUser(contextOf(req), nameOf(req))) }),
  });
  route(app, '/api/v1/users/:name/password', {
    PUT: async (req, reply) => {
      const body = objectBody(req);
      const view = await credentials.setPassword(contextOf(req), nameOf(req), stringField(body, 'password'), body.groups === undefined ? undefined : groupsField(body));
      return send(req, reply, 200, { kind: 'User', ...view });
    },
  });
}

async function createToken(credentials: Credentials, req: FastifyRequest): Promise<unknown> {
  const body = objectBody(req);
  const ctx = contextOf(req);
  const purpose = body.purpose;
  if (purpose !== undefined && purpose !== 'join') throw new BadRequest(`purpose must be "join" (an agent's join token) or absent, got ${JSON.stringify(purpose)}`);
  const ttl = body.ttlSeconds;
  if (ttl !== undefined && typeof ttl !== 'number') throw new BadRequest('ttlSeconds must be a number of seconds');
  // Without a user, a token for the caller itself (as `drover token create` with no --user).
  const user = body.user === undefined ? ctx.principal.name : stringField(body, 'user');
  const groups = body.groups === undefined ? (body.user === undefined ? ctx.principal.groups : []) : groupsField(body);
  const description = body.description === undefined ? undefined : stringField(body, 'description');
  const { token, view } = await credentials.createToken(ctx, { user, groups, ttlSeconds: ttl, purpose, description });
  return { kind: 'Token', ...view, token };
}

const nameOf = (req: FastifyRequest) => (req.params as { name: string }).name;

function objectBody(req: FastifyRequest): Record<string, unknown> {
  const body = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('the body must be a JSON object');
  return body as Record<string, unknown>;
}

function stringField(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (typeof v !== 'string' || v === '') throw new BadRequest(`${field} must be a non-empty string`);
  return v;
}

function groupsField(body: Record<string, unknown>): string[] {
  const v = body.groups ?? [];
  if (!Array.isArray(v) || !v.every((g) => typeof g === 'string' && g !== '')) throw new BadRequest('groups must be an array of non-empty strings');
  return v as string[];
}
