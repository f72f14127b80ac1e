// The Flocker API v1 façade (flocker/control/httpapi.py), served under /v1 on its own HTTPS
// listener only (listener.ts). Routing, status codes, bodies and headers are Flocker's: every
// failure is {"description": …}, a body that breaks the route's schema answers 400 with each
// violation in jsonschema's words, and the dataset writes honour X-If-Configuration-Matches before
// anything else, the body included (httpapi.py applies _if_configuration_matches outside
// `structured`).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Facade, FacadeOptions } from '../../api/facade.js';
import { NotFound } from '../../errors.js';
import { DEFAULT_NAMESPACE } from '../../model/index.js';
import { replaceConfiguration } from './compose.js';
import { containerOf, containerServices, containerStates, createContainer, deleteContainer, moveContainer, type ContainerInput } from './containers.js';
import { configurationOf, createDataset, datasetStates, deleteDataset, listDatasets, updateDataset, type DatasetInput } from './datasets.js';
import type { FlockerDoor } from './door.js';
import { acquireLease, listLeases, releaseLease, type LeaseInput } from './leases.js';
import { isFlockerConnection } from './listener.js';
import { asFlockerError } from './native.js';
import { listNodes, nodeByEra } from './nodes.js';
import { INPUT } from './schema.js';
import { configurationTag, IF_MATCHES_HEADER, TAG_HEADER } from './tag.js';
import { schemaErrors } from './validate.js';
import { decodeBody, FlockerError, NODE_BY_ERA_NOT_FOUND, SCHEMA_MISMATCH, sendFlockerError, sendJson } from './wire.js';

/** The Flocker release whose API this is: clients read it to know what they talk to. */
export const FLOCKER_API_VERSION = '1.15.0';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

interface Call {
  door: FlockerDoor;
  req: FastifyRequest;
  reply: FastifyReply;
  /** The path's one parameter ({dataset_id}, {name}, {era}). */
  param: string;
}

type Handler = (c: Call) => Promise<FastifyReply> | FastifyReply;

/** Path pattern ("*" is one segment) → method → handler: httpapi.py's @app.route table. */
const ROUTES: [string, Partial<Record<string, Handler>>][] = [
  ['/version', { GET: ({ reply }) => sendJson(reply, 200, { flocker: FLOCKER_API_VERSION }) }],
  [
    '/configuration/datasets',
    {
      GET: ({ door, reply }) => sendJson(reply, 200, listDatasets(door).map(configurationOf), { [TAG_HEADER]: configurationTag(door) }),
      POST: async (c) => (checkTag(c), sendJson(c.reply, 201, await createDataset(c.door, input<DatasetInput>(c, INPUT.createDataset)))),
    },
  ],
  [
    '/configuration/datasets/*',
    {
      POST: async (c) => (checkTag(c), sendJson(c.reply, 200, await updateDataset(c.door, c.param, input<{ primary?: string }>(c, INPUT.updateDataset)))),
      DELETE: async (c) => (checkTag(c), sendJson(c.reply, 200, await deleteDataset(c.door, c.param))),
    },
  ],
  ['/state/datasets', { GET: ({ door, reply }) => sendJson(reply, 200, datasetStates(door)) }],
  [
    '/configuration/containers',
    {
      GET: ({ door, reply }) => sendJson(reply, 200, containerServices(door).map((s) => containerOf(s))),
      POST: async (c) => sendJson(c.reply, 201, await createContainer(c.door, input<ContainerInput>(c, INPUT.createContainer))),
    },
  ],
  [
    '/configuration/containers/*',
    {
      POST: async (c) => sendJson(c.reply, 200, await moveContainer(c.door, c.param, input<{ node_uuid: string }>(c, INPUT.moveContainer).node_uuid)),
      DELETE: async (c) => (await deleteContainer(c.door, c.param), sendJson(c.reply, 200, null)),
    },
  ],
  ['/state/containers', { GET: ({ door, reply }) => sendJson(reply, 200, containerStates(door)) }],
  ['/state/nodes', { GET: ({ door, reply }) => sendJson(reply, 200, listNodes(door)) }],
  [
    '/state/nodes/by_era/*',
    {
      GET: ({ door, reply, param }) => {
        const node = nodeByEra(door, param);
        if (!node) throw NODE_BY_ERA_NOT_FOUND();
        return sendJson(reply, 200, node);
      },
    },
  ],
  [
    '/configuration/_compose',
    {
      POST: async (c) => {
        const body = input<{ applications: Record<string, unknown>; deployment: Record<string, unknown> }>(c, INPUT.compose);
        return sendJson(c.reply, 200, await replaceConfiguration(c.door, body.applications, body.deployment));
      },
    },
  ],
  [
    '/configuration/leases',
    {
      GET: ({ door, reply }) => sendJson(reply, 200, listLeases(door)),
      POST: async (c) => {
        const { code, lease } = await acquireLease(c.door, input<LeaseInput>(c, INPUT.lease));
        return sendJson(c.reply, code, lease);
      },
    },
  ],
  ['/configuration/leases/*', { DELETE: async (c) => sendJson(c.reply, 200, await releaseLease(c.door, c.param)) }],
];

/** The Flocker façade, in its own encapsulated context (body parsing, errors). */
export const flockerFacade: Facade = {
  name: 'flocker',
  plugin: async (flocker: FastifyInstance, opts: FacadeOptions) => {
    // Flocker reads bodies itself, whatever their Content-Type: take every body as bytes.
    flocker.removeAllContentTypeParsers();
    flocker.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    flocker.setErrorHandler((err, req, reply) => {
      // Not a Flocker connection: the native API's answer (its error handler is the parent's).
      if (!isFlockerConnection(req.raw.socket)) throw err;
      const flockerErr = asFlockerError(err);
      if (flockerErr instanceof FlockerError) return sendFlockerError(reply, flockerErr);
      const status = (err as { statusCode?: number }).statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500) return sendFlockerError(reply, new FlockerError(status, { description: (err as Error).message }));
      req.log.error({ err, url: req.url, method: req.method }, 'Flocker API request failed');
      return sendFlockerError(reply, new FlockerError(500, { description: 'The server failed to answer the request; see its log.' }));
    });
    const oneWriteAtATime = writeQueue();
    for (const url of ['/v1', '/v1/*']) {
      flocker.route({ method: [...METHODS], url, exposeHeadRoute: false, handler: (req, reply) => serve(opts, oneWriteAtATime, req, reply) });
    }
  },
};

async function serve(opts: FacadeOptions, oneWriteAtATime: WriteQueue, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  if (!isFlockerConnection(req.raw.socket)) throw new NotFound(`no route ${req.method} ${req.url}; the Flocker API is served on its own HTTPS listener (drover server --flocker-listen)`);
  const raw = req.raw.url ?? '/';
  const path = raw.split('?')[0]!.slice('/v1'.length);
  const door: FlockerDoor = { registry: opts.registry, ctx: { principal: req.principal, via: 'flocker' }, namespace: opts.namespace ?? DEFAULT_NAMESPACE };
  for (const [pattern, methods] of ROUTES) {
    const param = match(pattern, path);
    if (param === undefined) continue;
    // Werkzeug (Klein's router) answers HEAD wherever GET is routed.
    const handler = methods[req.method] ?? (req.method === 'HEAD' ? methods.GET : undefined);
    if (!handler) return notAllowed(reply, Object.keys(methods));
    const call = () => handler({ door, req, reply, param });
    return req.method === 'GET' || req.method === 'HEAD' ? call() : oneWriteAtATime(call);
  }
  return reply.code(404).header('content-type', 'text/html').send(KLEIN_NOT_FOUND);
}

/**
 * Flocker's writes, one at a time: X-If-Configuration-Matches is checked against the whole
 * configuration and then written, and Flocker (one Twisted thread) does both without anyone's
 * write in between — the Docker plugin's "create only if no dataset has this name yet" relies on
 * it. Atomic among the Flocker requests of one server (native writes and other servers on etcd
 * can still interleave: the store has no precondition on a whole configuration).
 */
type WriteQueue = <T>(write: () => Promise<T> | T) => Promise<T>;
function writeQueue(): WriteQueue {
  let last: Promise<unknown> = Promise.resolve();
  return (write) => {
    const next = last.then(write, write);
    last = next.catch(() => undefined);
    return next;
  };
}

/** The path's parameter when `path` fits `pattern` ('' for a pattern without one), else undefined. */
function match(pattern: string, path: string): string | undefined {
  if (!pattern.endsWith('/*')) return pattern === path ? '' : undefined;
  const base = pattern.slice(0, -1);
  if (!path.startsWith(base)) return undefined;
  const rest = path.slice(base.length);
  if (rest === '' || rest.includes('/')) return undefined;
  try {
    return decodeURIComponent(rest);
  } catch {
    return undefined;
  }
}

/** The request body, decoded and checked against the route's schema. */
function input<T>(c: Call, schema: object): T {
  const value = decodeBody(c.req.body);
  const errors = schemaErrors(value, schema as Record<string, unknown>);
  if (errors.length) throw new FlockerError(400, { description: SCHEMA_MISMATCH, errors });
  return value as T;
}

/** X-If-Configuration-Matches: 412 unless one of the tags given is the configuration's now. */
function checkTag(c: Call): void {
  const given = c.req.raw.headersDistinct[IF_MATCHES_HEADER];
  if (!given?.length) return;
  const tag = configurationTag(c.door);
  if (!given.includes(tag)) throw new FlockerError(412, { description: `Tag doesn't match. Required: ${given[0]}, current: ${tag}` });
}

// Werkzeug's pages, which Klein answers with for a path or method it has no route for.
const KLEIN_NOT_FOUND =
  '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server.  If you entered the URL manually please check your spelling and try again.</p>\n';

function notAllowed(reply: FastifyReply, allowed: string[]): FastifyReply {
  return reply
    .code(405)
    .header('allow', allowed.join(', '))
    .header('content-type', 'text/html')
    .send('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested URL.</p>\n');
}
