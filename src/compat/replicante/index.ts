// The Replicante platform API (seed 004; replisdk's platform framework is the reference for the
// shapes): GET discover, POST provision, POST deprovision, on its own listener only (listener.ts).
//   discover    → discoverClusters over Installations, Services, tasks, machines and packages
//   provision   → a ReplicanteProvision Operation; answers {count, node_ids} at once (Core then
//                 watches discovery for the new nodes of the group)
//   deprovision → a ReplicanteDeprovision Operation, waited on; 204 once the node is gone
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Facade, FacadeOptions } from '../../api/facade.js';
import { ApiError, NotFound } from '../../errors.js';
import {
  DEFAULT_NAMESPACE,
  discoverClusters,
  REPLICANTE_CLUSTER_LABEL,
  REPLICANTE_NODE_LABEL,
  type Installation,
  type Machine,
  type Operation,
  type Package,
  type ReplicanteDeprovisionParams,
  type ReplicanteProvisionParams,
  type Service,
  type Task,
} from '../../model/index.js';
import type { Registry, RequestContext } from '../../registry/index.js';
import { replicantePrincipal } from '../../security/principal.js';
import { isReplicanteConnection, REPLICANTE_MOUNT } from './listener.js';
import { decodeJson, parseDeprovision, parseProvision, type ProvisionRequest } from './requests.js';
import { ReplicanteError, sendError, sendJson } from './wire.js';

/** How long deprovision waits for the node's processes to stop before answering. */
const DEPROVISION_WAIT_MS = 60_000;

interface Door {
  registry: Registry;
  ctx: RequestContext;
  namespace: string;
}

export const replicanteFacade: Facade = {
  name: 'replicante',
  plugin: async (app: FastifyInstance, opts: FacadeOptions) => {
    // Bodies are read here, whatever their Content-Type, so malformed JSON gets the SDK's error shape.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    app.setErrorHandler((err, req, reply) => {
      if (!isReplicanteConnection(req.raw.socket)) throw err;
      if (err instanceof ApiError && err.headers['retry-after']) reply.header('retry-after', err.headers['retry-after']);
      if (err instanceof ReplicanteError) return sendError(reply, err);
      if (err instanceof ApiError) return sendError(reply, new ReplicanteError(err.code === 422 ? 400 : err.code, err.message));
      const status = (err as { statusCode?: number }).statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500) return sendError(reply, new ReplicanteError(status, (err as Error).message));
      req.log.error({ err, url: req.url }, 'Replicante platform request failed');
      return sendError(reply, new ReplicanteError(500, 'the platform failed to answer the request; see the server log'));
    });
    const door = (req: FastifyRequest): Door => {
      if (!isReplicanteConnection(req.raw.socket)) throw new NotFound(`no route ${req.method} ${req.url}; the Replicante platform API is served on its own listener (drover server --replicante-listen)`);
      return { registry: opts.registry, ctx: { principal: replicantePrincipal, via: 'replicante' }, namespace: opts.namespace ?? DEFAULT_NAMESPACE };
    };
    app.get(`${REPLICANTE_MOUNT}/discover`, (req, reply) => sendJson(reply, 200, { clusters: discover(door(req)) }));
    app.post(`${REPLICANTE_MOUNT}/provision`, async (req, reply) => sendJson(reply, 200, await provision(door(req), parseProvision(decodeJson(req.body)))));
    app.post(`${REPLICANTE_MOUNT}/deprovision`, async (req, reply) => {
      await deprovision(door(req), parseDeprovision(decodeJson(req.body)));
      return reply.code(204).send();
    });
  },
};

function discover(d: Door) {
  const list = <T extends Installation | Service | Task | Machine | Package>(plural: string, namespaced: boolean) =>
    d.registry.kind<T>(plural, namespaced ? d.namespace : undefined).list(d.ctx);
  return discoverClusters({
    installations: list<Installation>('installations', true),
    services: list<Service>('services', true),
    tasks: list<Task>('tasks', true),
    machines: list<Machine>('machines', false),
    packages: list<Package>('packages', false),
  });
}

async function provision(d: Door, req: ProvisionRequest): Promise<{ count: number; node_ids: string[] }> {
  const pkg = catalogPackage(d, req.store, req.version);
  const nodeIds = Array.from({ length: req.count }, () => newNodeId(req.nodeGroup));
  const params: ReplicanteProvisionParams = {
    clusterId: req.clusterId,
    package: pkg.metadata.name,
    nodeGroup: req.nodeGroup,
    nodeClass: req.nodeClass,
    nodeIds,
    attributes: req.attributes,
  };
  await d.registry.kind<Operation>('operations').create(d.ctx, { metadata: { generateName: 'replicante-provision-' }, spec: { type: 'ReplicanteProvision', params } });
  return { count: nodeIds.length, node_ids: nodeIds };
}

async function deprovision(d: Door, req: { clusterId: string; nodeId: string }): Promise<void> {
  const installations = d.registry.kind<Installation>('installations', d.namespace).list(d.ctx);
  const node = installations.find((i) => i.metadata.labels?.[REPLICANTE_NODE_LABEL] === req.nodeId && i.metadata.labels?.[REPLICANTE_CLUSTER_LABEL] === req.clusterId);
  if (!node || node.metadata.deletionTimestamp) {
    const known = discover(d).find((c) => c.cluster_id === req.clusterId);
    if (!known) throw new ReplicanteError(404, `cluster "${req.clusterId}" is not on this platform`, { cluster_id: req.clusterId });
    if (known.nodes.some((n) => n.node_id === req.nodeId)) {
      throw new ReplicanteError(400, `node "${req.nodeId}" of cluster "${req.clusterId}" was not provisioned by this platform: scale or delete its service through drover's API`);
    }
    throw new ReplicanteError(404, `node "${req.nodeId}" is not in cluster "${req.clusterId}"`, { cluster_id: req.clusterId, node_id: req.nodeId });
  }
  const params: ReplicanteDeprovisionParams = { clusterId: req.clusterId, nodeId: req.nodeId };
  const ops = d.registry.kind<Operation>('operations');
  const op = await ops.create(d.ctx, { metadata: { generateName: 'replicante-deprovision-' }, spec: { type: 'ReplicanteDeprovision', params } });
  const done = await ops.waitFor(op.metadata.name, (o) => o.status?.phase === 'Succeeded' || o.status?.phase === 'Failed', DEPROVISION_WAIT_MS);
  if (done?.status?.phase === 'Failed') throw new ReplicanteError(500, `deprovisioning node "${req.nodeId}" failed: ${done.status.error ?? 'no reason given'} (operation ${op.metadata.name})`);
  if (done?.status?.phase !== 'Succeeded') throw new ReplicanteError(504, `node "${req.nodeId}" is still being deprovisioned after ${DEPROVISION_WAIT_MS / 1000}s (operation ${op.metadata.name})`);
}

/** The catalog's package of `store` at `version`: 404 naming the store or the version when there is none. */
function catalogPackage(d: Door, store: string, version: string): Package {
  const all = d.registry.kind<Package>('packages').list(d.ctx);
  const ofStore = all.filter((p) => p.spec.store === store);
  if (ofStore.length === 0) {
    const stores = [...new Set(all.map((p) => p.spec.store).filter((s): s is string => !!s))].sort();
    throw new ReplicanteError(404, `store "${store}" is not in the catalog (stores: ${stores.join(', ') || 'none'})`, { store });
  }
  const pkg = ofStore.find((p) => p.spec.version === version);
  if (!pkg) {
    const versions = ofStore.map((p) => p.spec.version).sort();
    throw new ReplicanteError(404, `version "${version}" of store "${store}" is not in the catalog (versions: ${versions.join(', ')})`, { store, store_version: version });
  }
  return pkg;
}

/** GROUP-8HEX: unique in the cluster (and across clusters: it names the node's Installation), never reused. */
function newNodeId(group: string): string {
  const slug = group.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'node';
  return `${slug}-${randomBytes(4).toString('hex')}`;
}
