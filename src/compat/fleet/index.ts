// The fleet v1 API façade, served under /fleet/v1 and /v1-alpha as fleetd serves it. Routing is
// fleet's own (api/mux.go and each resource's ServeHTTP), so unknown paths, wrong methods and
// failures answer with fleet's status codes and error entity, never the native envelope; every
// answer carries fleetd's Server header, and the root answers as fleetd's does.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Facade, FacadeOptions } from '../../api/facade.js';
import { ApiError } from '../../errors.js';
import type { Registry } from '../../registry/index.js';
import { discoveryDocument } from './discovery.js';
import { listMachines, patchMachines } from './machines.js';
import { getState, listStates } from './state.js';
import { destroyUnit, getUnit, listUnits, setUnit } from './units.js';
import type { FleetDoor } from './door.js';
import { DEFAULT_NAMESPACE } from '../../model/index.js';
import { FLEETD_SERVER, FleetError, checkContentType, sendEmpty, sendFleet, sendFleetError } from './wire.js';

export const FLEET_PREFIXES = ['/fleet/v1', '/v1-alpha'] as const;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** The fleet façade, in its own encapsulated context (body parsing, errors). */
export const fleetFacade: Facade = {
  name: 'fleet',
  plugin: async (fleet: FastifyInstance, opts: FacadeOptions) => {
    // fleet reads bodies itself (and answers 415 itself): take every body as bytes.
    fleet.removeAllContentTypeParsers();
    fleet.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    fleet.setErrorHandler((err, req, reply) => {
      // A 401's WWW-Authenticate, and the Retry-After of a 429 (login or rate limit) or a 503, hold at this door too.
      if (err instanceof ApiError) for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      return sendFleetError(reply, toFleetError(err, req));
    });
    fleet.addHook('onSend', (_req, reply, payload, done) => {
      reply.header('server', FLEETD_SERVER);
      done(null, payload);
    });
    // fleetd's root (api/mux.go baseHandler): 405 to every method, with an empty message. The
    // native API lives under /api, so the root is fleet's to answer.
    fleet.route({ method: [...METHODS], url: '/', exposeHeadRoute: false, handler: (_req, reply) => sendFleetError(reply, new FleetError(405)) });
    for (const prefix of FLEET_PREFIXES) {
      for (const url of [prefix, `${prefix}/*`]) {
        fleet.route({
          method: [...METHODS],
          url,
          exposeHeadRoute: false,
          handler: (req, reply) => serve(opts.registry, opts.namespace ?? DEFAULT_NAMESPACE, prefix, req, reply),
        });
      }
    }
  },
};

function toFleetError(err: unknown, req: FastifyRequest): FleetError {
  if (err instanceof FleetError) return err;
  if (err instanceof ApiError) return new FleetError(err.code, err.message);
  const status = (err as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return new FleetError(status, (err as Error).message);
  req.log.error({ err, url: req.url, method: req.method }, 'fleet API request failed');
  // fleet answers internal failures with an empty message.
  return new FleetError(500);
}

/** The request path as Go's net/url decodes it, and the query. */
function target(req: FastifyRequest): { path: string; query: URLSearchParams } {
  const raw = req.raw.url ?? '/';
  const q = raw.indexOf('?');
  let path: string;
  try {
    path = decodeURIComponent(q < 0 ? raw : raw.slice(0, q));
  } catch {
    throw new FleetError(400, 'invalid URL escape in the request path');
  }
  return { path, query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

/** fleet's isItemPath: one non-empty segment right under the collection, no trailing slash. */
function itemOf(rest: string, collection: string): string | undefined {
  if (!rest.startsWith(`${collection}/`)) return undefined;
  const item = rest.slice(collection.length + 1);
  return item !== '' && !item.includes('/') ? item : undefined;
}

async function serve(registry: Registry, namespace: string, prefix: string, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { path, query } = target(req);
  const rest = path.slice(prefix.length);
  const method = req.method;
  const body = Buffer.isBuffer(req.body) ? req.body : undefined;
  const door: FleetDoor = { registry, ctx: { principal: req.principal, via: 'fleet' }, namespace };

  if (rest === '') throw new FleetError(405);
  if (rest === '/discovery') {
    if (method !== 'GET') throw new FleetError(400, 'only HTTP GET supported against this resource');
    return sendFleet(reply, 200, discoveryDocument);
  }
  if (rest === '/machines') {
    if (method === 'GET') return sendFleet(reply, 200, listMachines(door, query));
    if (method === 'PATCH') {
      await patchMachines(door, body);
      // fleet sets the JSON Content-Type on this bodiless 204.
      return reply.code(204).header('content-type', 'application/json').send();
    }
    throw new FleetError(405, 'only GET and PATCH supported against this resource');
  }
  if (rest === '/units') {
    if (method !== 'GET') throw new FleetError(405, 'only GET supported against this resource');
    return sendFleet(reply, 200, listUnits(door, query));
  }
  const unit = itemOf(rest, '/units');
  if (unit !== undefined) {
    if (method === 'GET') return sendFleet(reply, 200, await getUnit(door, unit));
    if (method === 'DELETE') {
      await destroyUnit(door, unit);
      return sendEmpty(reply, 204);
    }
    if (method === 'PUT') {
      checkContentType(req);
      return sendEmpty(reply, await setUnit(door, unit, body));
    }
    throw new FleetError(405, 'only GET, PUT and DELETE supported against this resource');
  }
  if (rest === '/state') {
    if (method !== 'GET') throw new FleetError(405, 'only GET supported against this resource');
    return sendFleet(reply, 200, listStates(door, query));
  }
  const stateItem = itemOf(rest, '/state');
  if (stateItem !== undefined) {
    if (method !== 'GET') throw new FleetError(405, 'only GET supported against this resource');
    return sendFleet(reply, 200, getState(door, stateItem));
  }
  throw new FleetError(404);
}
