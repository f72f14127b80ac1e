// The routes every kind gets: list/watch/create on the collection, get/replace/patch/delete on
// an item, and the /status subresource. A kind file never repeats these.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KindRegistry } from '../../registry/index.js';
import { route } from '../protocol/routes.js';
import { readHandlers, type ReadContext } from './reads.js';
import { negotiated } from './respond.js';
import { statusHandlers } from './status.js';
import { writeHandlers } from './writes.js';

export function registerKind(app: FastifyInstance, registry: KindRegistry, ctx: ReadContext): void {
  registerUnder(app, `/api/v1/${registry.plural}`, registry, ctx);
  // A namespaced kind also lives under its namespace; the URL without one means "default" for
  // one object, and every namespace the caller may see for a list or watch.
  if (registry.kind.namespaced) registerUnder(app, `/api/v1/namespaces/:namespace/${registry.plural}`, registry, ctx);
}

/** The door a request goes through: the kind as seen from the URL's namespace, if it names one. */
export function doorOf(registry: KindRegistry, req: FastifyRequest): KindRegistry {
  const namespace = (req.params as { namespace?: string }).namespace;
  return namespace === undefined ? registry : registry.in(namespace);
}

function registerUnder(app: FastifyInstance, base: string, registry: KindRegistry, ctx: ReadContext): void {
  const { list, get } = readHandlers(registry, ctx);
  const { create, replace, patch, remove } = writeHandlers(registry);
  const { putStatus, patchStatus } = statusHandlers(registry);
  const can = (v: Parameters<KindRegistry['can']>[0]) => registry.can(v);
  route(app, base, { GET: list, ...(can('create') ? { POST: negotiated(create) } : {}) });
  route(app, `${base}/:name`, {
    GET: get,
    ...(can('update') ? { PUT: negotiated(replace) } : {}),
    ...(can('patch') ? { PATCH: negotiated(patch) } : {}),
    ...(can('delete') ? { DELETE: negotiated(remove) } : {}),
  });
  route(app, `${base}/:name/status`, {
    GET: get,
    ...(can('update') ? { PUT: negotiated(putStatus) } : {}),
    ...(can('patch') ? { PATCH: negotiated(patchStatus) } : {}),
  });
}
