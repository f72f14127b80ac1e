// The /status subresource: written by controllers and agents, separately from the spec.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KindRegistry } from '../../registry/index.js';
import { contextOf } from '../protocol/context.js';
import { ifMatch } from './preconditions.js';
import { sendObject } from './respond.js';
import { patchOf } from './writes.js';
import { doorOf } from './register.js';

export function statusHandlers(kindRegistry: KindRegistry) {
  const nameOf = (req: FastifyRequest) => (req.params as { name: string }).name;
  const putStatus = async (req: FastifyRequest, reply: FastifyReply) =>
    sendObject(req, reply, 200, await doorOf(kindRegistry, req).replaceStatus(contextOf(req), nameOf(req), req.body, ifMatch(req)));
  const patchStatus = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = patchOf(req);
    return sendObject(req, reply, 200, await doorOf(kindRegistry, req).patchStatus(contextOf(req), nameOf(req), p, ifMatch(req)));
  };
  return { putStatus, patchStatus };
}
