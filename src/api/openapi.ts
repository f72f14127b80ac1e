// /openapi.json, generated from the same typebox schemas that validate requests.
import type { FastifyInstance } from 'fastify';
import type { Verb } from '../model/index.js';
import type { Kind, Registry } from '../registry/index.js';
import { isAdministrator } from '../security/authorizer.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';

const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      required: ['code', 'reason', 'message'],
      properties: {
        code: { type: 'integer' },
        reason: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  },
};

const q = (name: string, description: string, schema: object = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema });
const listParams = [
  q('labelSelector', 'k8s label selector: a=b,c!=d,e in (x,y),!f'),
  q('fieldSelector', 'field=value,field!=value over the selectable fields'),
  q('limit', 'page size', { type: 'integer', minimum: 0 }),
  q('pageToken', 'nextPageToken of the previous page'),
  q('watch', 'stream the current state, then changes (NDJSON; SSE with Accept: text/event-stream)', { type: 'boolean' }),
  q('revision', 'with watch: only changes after this revision', { type: 'integer' }),
  q('diff', 'with watch: MODIFIED events carry an RFC 6902 patch', { type: 'boolean' }),
];
const ifMatch = { name: 'If-Match', in: 'header', required: false, description: 'ETag ("<revision>") the write applies to', schema: { type: 'string' } };

/** `allowed` says which verbs of which kinds the caller may use (default: all): the document lists only those. */
export function buildOpenApi(kinds: Kind[], version: string, allowed: (verb: Verb, plural: string) => boolean = () => true): object {
  const schemas: Record<string, unknown> = { Error: errorSchema };
  const paths: Record<string, unknown> = {};
  const errors = {
    '400': { $ref: '#/components/responses/Error' },
    '404': { $ref: '#/components/responses/Error' },
    '409': { $ref: '#/components/responses/Error' },
    '412': { $ref: '#/components/responses/Error' },
    '422': { $ref: '#/components/responses/Error' },
  };
  for (const k of kinds) {
    if (!k.verbs.some((v) => allowed(v, k.plural))) continue;
    schemas[k.kind] = JSON.parse(JSON.stringify(k.schema));
    const ref = { $ref: `#/components/schemas/${k.kind}` };
    const body = { required: true, content: { 'application/json': { schema: ref }, 'application/yaml': { schema: ref } } };
    const one = (description: string) => ({ description, content: { 'application/json': { schema: ref } } });
    const listOf = {
      description: `${k.kind}List`,
      content: { 'application/json': { schema: { type: 'object', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, items: { type: 'array', items: ref } } } } },
    };
    const name = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
    const patchBody = {
      required: true,
      content: { 'application/merge-patch+json': { schema: { type: 'object' } }, 'application/json-patch+json': { schema: { type: 'array', items: { type: 'object' } } } },
    };
    const has = (v: Verb) => k.verbs.includes(v) && allowed(v, k.plural);
    const tag = [k.kind];
    paths[`/api/v1/${k.plural}`] = {
      ...(has('list') ? { get: { operationId: `list${k.kind}`, tags: tag, parameters: listParams, responses: { '200': listOf, ...errors } } } : {}),
      ...(has('create') ? { post: { operationId: `create${k.kind}`, tags: tag, requestBody: body, responses: { '201': one('created'), '202': one('accepted: work started'), ...errors } } } : {}),
    };
    paths[`/api/v1/${k.plural}/{name}`] = {
      parameters: [name],
      ...(has('get') ? { get: { operationId: `get${k.kind}`, tags: tag, responses: { '200': one('the object'), ...errors } } } : {}),
      ...(has('update') ? { put: { operationId: `replace${k.kind}`, tags: tag, parameters: [ifMatch], requestBody: body, responses: { '200': one('replaced'), '201': one('created'), ...errors } } } : {}),
      ...(has('patch') ? { patch: { operationId: `patch${k.kind}`, tags: tag, parameters: [ifMatch], requestBody: patchBody, responses: { '200': one('patched'), ...errors } } } : {}),
      ...(has('delete') ? { delete: { operationId: `delete${k.kind}`, tags: tag, parameters: [ifMatch], responses: { '200': one('the last state'), '202': one('deletion pending finalizers'), ...errors } } } : {}),
    };
    if (has('update')) {
      paths[`/api/v1/${k.plural}/{name}/status`] = {
        parameters: [name],
        get: { operationId: `get${k.kind}Status`, tags: tag, responses: { '200': one('the object'), ...errors } },
        put: { operationId: `replace${k.kind}Status`, tags: tag, parameters: [ifMatch], requestBody: body, responses: { '200': one('status replaced'), ...errors } },
        patch: { operationId: `patch${k.kind}Status`, tags: tag, parameters: [ifMatch], requestBody: patchBody, responses: { '200': one('status patched'), ...errors } },
      };
    }
    if (k.namespaced) {
      // The same operations under a namespace; the paths above mean "default" for one object and every namespace for a list.
      const namespace = { name: 'namespace', in: 'path', required: true, schema: { type: 'string' } };
      for (const [path, ops] of Object.entries(paths).filter(([p]) => p === `/api/v1/${k.plural}` || p.startsWith(`/api/v1/${k.plural}/`))) {
        const under = path.replace('/api/v1/', '/api/v1/namespaces/{namespace}/');
        const renamed = Object.fromEntries(
          Object.entries(ops as Record<string, unknown>).map(([m, op]) =>
            m === 'parameters' ? [m, [namespace, ...(op as unknown[])]] : [m, { ...(op as object), operationId: `${(op as { operationId: string }).operationId}InNamespace` }],
          ),
        );
        paths[under] = { ...(renamed.parameters ? {} : { parameters: [namespace] }), ...renamed };
      }
    }
  }
  for (const n of ['version', 'time', 'config']) {
    paths[`/api/v1/system/${n}`] = { get: { operationId: `getSystem${n[0]!.toUpperCase()}${n.slice(1)}`, tags: ['System'], responses: { '200': { description: n } } } };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'drover', version, description: 'The drover native API: one envelope for every kind, JSON and YAML, lists, watches, preconditions, async operations.' },
    paths,
    components: { schemas, responses: { Error: { description: 'error envelope', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } } },
  };
}

export function registerOpenApi(app: FastifyInstance, registry: Registry, version: string): void {
  let bytes: Buffer | undefined;
  route(app, '/openapi.json', {
    GET: async (req, reply) => {
      const ctx = contextOf(req);
      // Administrators see every operation: one document, built once. Others see what they may use.
      if (isAdministrator(ctx.principal)) {
        bytes ??= Buffer.from(JSON.stringify(buildOpenApi(registry.kinds, version)));
        return reply.type('application/json').send(bytes);
      }
      return reply.type('application/json').send(JSON.stringify(buildOpenApi(registry.kinds, version, (v, plural) => registry.allowedSomewhere(ctx, v, plural))));
    },
  });
}
