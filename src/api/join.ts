// POST /api/v1/system/join: an agent exchanges its join token for its own identity (see
// security/node-identity.ts), as a kubelet's bootstrap token becomes its certificate.
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '../errors.js';
import { checkUrlName, systemContext, type Registry } from '../registry/index.js';
import type { KeyPair } from '../security/pki.js';
import { issueNodeCertificate, type NodeIdentity } from '../security/node-identity.js';
import { NODES_GROUP, nodeUser } from '../security/principal.js';
import { send } from './protocol/content.js';
import { contextOf } from './protocol/context.js';
import { route } from './protocol/routes.js';

const HOST_NAME = /^[A-Za-z0-9.-]{1,253}$/;

export function registerJoin(app: FastifyInstance, registry: Registry, ca: KeyPair): void {
  const credentials = registry.credentials;
  if (!credentials) return;
  route(app, '/api/v1/system/join', {
    POST: async (req, reply) => {
      registry.authorize(contextOf(req), { verb: 'create', resource: 'nodes', subresource: 'join' });
      const body = (req.body ?? {}) as { machine?: unknown; addresses?: unknown };
      if (typeof body.machine !== 'string') throw new BadRequest('machine must be the joining machine\'s id');
      checkUrlName(body.machine);
      const addresses = body.addresses ?? [];
      if (!Array.isArray(addresses) || addresses.length > 32 || !addresses.every((a) => typeof a === 'string' && (isIP(a) !== 0 || HOST_NAME.test(a)))) {
        throw new BadRequest('addresses must be a list of at most 32 host names or IP addresses');
      }
      const pair = await issueNodeCertificate(ca, { machine: body.machine, addresses: addresses as string[] });
      // The node's token is made by the server, not by the joining caller (who may make none).
      const { token } = await credentials.createToken(systemContext, {
        user: nodeUser(body.machine),
        groups: [NODES_GROUP],
        description: `node identity of machine ${body.machine}`,
      });
      const identity: NodeIdentity = { machine: body.machine, ca: ca.cert, cert: pair.cert, key: pair.key, token };
      return send(req, reply, 201, { kind: 'NodeIdentity', ...identity });
    },
  });
}
