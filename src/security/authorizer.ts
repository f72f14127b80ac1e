// The one place permissions are decided: may this principal use this verb on this resource
// (a kind's plural, a subresource like "tasks/log", or "system")? The registry asks it on every
// read and write, whichever door the request came in by.
import type { Verb } from '../model/index.js';
import { ADMINISTRATORS_GROUP, type Principal } from './principal.js';

export interface Authorizer {
  allowed(principal: Principal, verb: Verb, resource: string): boolean;
}

export const allowAdministrators: Authorizer = {
  allowed: (p) => p.groups.includes(ADMINISTRATORS_GROUP),
};
