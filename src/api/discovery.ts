// Discovery: /api lists versions, /api/v1 lists the kinds with the verbs the caller may use.
import type { FastifyInstance } from 'fastify';
import { API_VERSION, type Verb } from '../model/index.js';
import type { Registry } from '../registry/index.js';
import { send } from './protocol/content.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';

export function registerDiscovery(app: FastifyInstance, registry: Registry): void {
  route(app, '/api', {
    GET: async (req, reply) =>
      send(req, reply, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        preferredVersion: 'v1',
        links: { v1: '/api/v1', openapi: '/openapi.json', health: '/healthz', ready: '/readyz', metrics: '/metrics' },
      }),
  });
  route(app, '/api/v1', {
    GET: async (req, reply) => {
      const ctx = contextOf(req);
      const allowed = (verb: Verb, resource: string) => registry.allowedSomewhere(ctx, verb, resource);
      const resources = registry.kinds
        .map((k) => ({
          name: k.plural,
          kind: k.kind,
          namespaced: k.namespaced,
          shortNames: k.options.shortNames ?? [],
          description: k.options.description,
          verbs: k.verbs.filter((v) => allowed(v, k.plural)),
          subresources: k.verbs.includes('update') ? ['status'] : [],
          selectableFields: Object.keys(k.fields),
        }))
        .filter((r) => r.verbs.length > 0);
      const system = ['version', 'time', 'config'].map((n) => ({ name: `system/${n}`, kind: 'System', verbs: ['get'] }));
      return send(req, reply, 200, { apiVersion: API_VERSION, kind: 'APIResourceList', clusterId: registry.clusterId, resources: [...resources, ...system.filter(() => allowed('get', 'system'))] });
    },
  });
}
