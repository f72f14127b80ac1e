// The routes every kind gets: list/watch/create on the collection, get/replace/patch/delete on
// an item, and the /status subresource. A kind file never repeats these.
import type { FastifyInstance } from 'fastify';
import type { KindRegistry } from '../../registry/index.js';
import { route } from '../protocol/routes.js';
import { readHandlers, type ReadContext } from './reads.js';
import { negotiated } from './respond.js';
import { statusHandlers } from './status.js';
import { writeHandlers } from './writes.js';

export function registerKind(app: FastifyInstance, registry: KindRegistry, ctx: ReadContext): void {
  const base = `/api/v1/${registry.plural}`;
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
