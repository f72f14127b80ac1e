// Audit as a fastify hook that sees every route, rather than at the registry seam: only here are
// the requests refused before the registry (401, 413, an unknown route), the client's address,
// the door (the native API or a façade, whose own error answers the registry never sees) and the
// status code the client finally got. What each record names (kind, name, subresource) comes from
// the route's pattern and parameters, never from the body or the query.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../security/audit-log.js';

/** What a route says about the requests it serves, worked out once when it is registered. */
interface AuditRoute {
  door: string;
  /** Recorded whatever the method: the task proxies and secret deliveries. */
  always: boolean;
  /** Never recorded unless denied: heartbeats renew a lease and write no object (5,000 agents every few seconds). */
  never: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the route's handler: see AuditRoute. */
    auditRoute: AuditRoute | null;
    /** Set by a read that must be recorded, naming what it read (a secret's "values"). */
    auditSubresource: string | null;
    /** The name of the object a POST created (it is not in the URL). */
    auditName: string | null;
  }
}

/** Subresources recorded even when read: they reach into a task, or carry secret values. */
const ALWAYS = /\/(log|exec|kill|portforward|secrets)$/;
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const VERBS: Record<string, string> = { GET: 'get', HEAD: 'get', OPTIONS: 'options', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

export interface AuditHook {
  /** Routes registered from now on belong to this door (a façade's name) until the next call; undefined: by their URL. */
  setDoor(door: string | undefined): void;
}

export function registerAudit(app: FastifyInstance, log: AuditLog): AuditHook {
  let door: string | undefined;
  app.decorateRequest('auditRoute', null);
  decorateAuditFields(app);
  app.addHook('onRoute', (opts) => {
    const handler = opts.handler;
    const info: AuditRoute = {
      door: door ?? 'api',
      always: ALWAYS.test(opts.url),
      never: opts.url.endsWith('/heartbeat'),
    };
    opts.handler = function auditedHandler(this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
      req.auditRoute = info;
      return handler.call(this, req, reply);
    };
  });
  app.addHook('onResponse', (req, reply, done) => {
    const code = reply.statusCode;
    const denied = code === 401 || code === 403;
    const route = req.auditRoute;
    // The read path pays a few comparisons and nothing else.
    if (!denied && req.auditSubresource === null && !route?.always && (READS.has(req.method) || route?.never)) return done();
    log.record(recordOf(req, code, route));
    done();
  });
  app.addHook('onClose', (_app, done) => {
    log.flush();
    done();
  });
  return { setDoor: (d) => (door = d) };
}

/** The fields handlers set for the audit, declared even when nothing is recorded: requests keep one shape. */
export function decorateAuditFields(app: FastifyInstance): void {
  app.decorateRequest('auditSubresource', null);
  app.decorateRequest('auditName', null);
}

function recordOf(req: FastifyRequest, code: number, route: AuditRoute | null) {
  const principal = req.principal as FastifyRequest['principal'] | null;
  const params = (req.params ?? {}) as Record<string, string | undefined>;
  const target = targetOf(req.routeOptions.url ?? req.url.split('?')[0]!, params);
  const { kind, namespace } = target;
  const name = target.name ?? req.auditName ?? undefined;
  const subresource = req.auditSubresource ?? target.subresource;
  return {
    time: new Date().toISOString(),
    user: principal?.name ?? 'unauthenticated',
    groups: principal?.groups ?? [],
    source: req.ip ?? 'unix',
    door: route?.door ?? 'api',
    verb: !target.name && req.method === 'GET' ? 'list' : (VERBS[req.method] ?? req.method.toLowerCase()),
    ...(kind ? { kind } : {}),
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
    ...(subresource ? { subresource } : {}),
    code,
  };
}

/**
 * The kind, name and subresource a route pattern names: `/api/v1/tasks/:name/log`,
 * `/api/v1/namespaces/:namespace/secrets/:name`, or a façade's `/fleet/v1/*` with `units/web.service`.
 */
export function targetOf(pattern: string, params: Record<string, string | undefined>): { kind?: string; name?: string; subresource?: string; namespace?: string } {
  let parts = pattern.split('/').filter(Boolean);
  // After the version: /api/v1/…, a façade's /fleet/v1/… or /v1-alpha/….
  const version = parts.findIndex((p) => /^v\d/.test(p));
  if (version >= 0) parts = parts.slice(version + 1);
  if (parts.at(-1) === '*') parts = [...parts.slice(0, -1), ...(params['*'] ?? '').split('/').filter(Boolean)];
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length > 2) {
    namespace = params.namespace ?? parts[1];
    parts = parts.slice(2);
  }
  const value = (p: string | undefined) => (p?.startsWith(':') ? params[p.slice(1)] : p);
  return { kind: value(parts[0]), name: value(parts[1]), subresource: value(parts[2]), namespace };
}
