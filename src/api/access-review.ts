// GET /api/v1/auth/can-i?verb=&resource=[&namespace=][&name=]: may the caller do this? Asked of
// the same authorizer that decides real requests (Kubernetes' SelfSubjectAccessReview), so
// `drover auth can-i` never guesses. Every caller may ask about itself.
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '../errors.js';
import { ALL_VERBS, DEFAULT_NAMESPACE, type Verb } from '../model/index.js';
import type { Registry } from '../registry/index.js';
import { denialMessage, type Attributes } from '../security/authorizer.js';
import { send } from './protocol/content.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';
import { boolParam, single, type Query } from './resources/params.js';

export function registerAccessReview(app: FastifyInstance, registry: Registry): void {
  route(app, '/api/v1/auth/can-i', {
    GET: async (req, reply) => {
      const q = req.query as Query;
      const verb = single(q, 'verb');
      if (!verb || !(ALL_VERBS as readonly string[]).includes(verb)) throw new BadRequest(`parameter verb must be one of ${ALL_VERBS.join(', ')}, got "${verb ?? ''}"`);
      const given = single(q, 'resource');
      if (!given) throw new BadRequest('parameter resource is required: a plural like services, or a subresource like tasks/log');
      const [resource, subresource] = given.split('/', 2) as [string, string | undefined];
      const kind = registry.kinds.find((k) => k.plural === resource);
      const allNamespaces = boolParam(q, 'allNamespaces');
      const namespace = kind?.namespaced && !allNamespaces ? (single(q, 'namespace') || DEFAULT_NAMESPACE) : undefined;
      const name = single(q, 'name') || undefined;
      const attrs: Attributes = { verb: verb as Verb, resource, ...(subresource ? { subresource } : {}), ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) };
      const ctx = contextOf(req);
      const allowed = registry.allowed(ctx, attrs);
      return send(req, reply, 200, {
        apiVersion: 'drover/v1',
        kind: 'AccessReview',
        spec: attrs,
        status: { allowed, user: ctx.principal.name, groups: ctx.principal.groups, ...(allowed ? {} : { reason: denialMessage(ctx.principal, attrs) }) },
      });
    },
  });
}
