// The one place permissions are decided: may this principal use this verb on this resource
// (a kind's plural, a subresource like "tasks/log", or "system")? The registry asks it on every
// read and write, whichever door the request came in by.
import type { Verb } from '../model/index.js';
import { ADMINISTRATORS_GROUP, BOOTSTRAPPERS_GROUP, NODES_GROUP, type Principal } from './principal.js';

export interface Authorizer {
  allowed(principal: Principal, verb: Verb, resource: string): boolean;
}

export const allowAdministrators: Authorizer = {
  allowed: (p) => p.groups.includes(ADMINISTRATORS_GROUP),
};

/** Credentials are an administrator's business; an agent never needs to read or make them. */
const CREDENTIAL_RESOURCES = new Set(['tokens', 'users']);

/**
 * Until RBAC and the node authorizer (issue 15) decide: administrators do everything; agents
 * (group system:nodes) everything but credentials; a join token only exchanges itself for a
 * node identity ("create nodes/join"). Any authorizer that replaces this one keeps the last rule.
 */
export const allowAdministratorsAndNodes: Authorizer = {
  allowed: (p, verb, resource) =>
    p.groups.includes(ADMINISTRATORS_GROUP) ||
    (p.groups.includes(NODES_GROUP) && !CREDENTIAL_RESOURCES.has(resource)) ||
    (p.groups.includes(BOOTSTRAPPERS_GROUP) && verb === 'create' && resource === 'nodes/join'),
};
