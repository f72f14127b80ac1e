// The one place permissions are decided: may this principal use this verb on this resource
// (a kind's plural, with a subresource like "log", "exec", "status" or "root", or "system"),
// in this namespace, on this object? The registry asks it on every read and write, whichever
// door the request came in by.
import type { AnyObject, Verb } from '../model/index.js';
import { ADMINISTRATORS_GROUP, type Principal } from './principal.js';

/** What a request does, as a permission names it (Kubernetes' authorizer attributes). */
export interface Attributes {
  verb: Verb;
  /** A kind's plural ("services"), or "system". */
  resource: string;
  /** "status", "log", "exec", "kill", "root", "bind". */
  subresource?: string;
  /** The namespace acted in; undefined for cluster-wide kinds, and for a list or watch across all namespaces. */
  namespace?: string;
  /** The object acted on; undefined for lists, watches and creates of a generated name. */
  name?: string;
}

export interface Authorizer {
  allowed(principal: Principal, attrs: Attributes): boolean;
  /**
   * For a list or watch across all namespaces that `allowed` refused without a namespace: the
   * namespaces in which the principal may do it (empty: none). Without this method, none.
   */
  namespacesAllowed?(principal: Principal, attrs: Omit<Attributes, 'namespace' | 'name'>): ReadonlySet<string>;
  /**
   * A field every list and watch of `resource` by this principal is narrowed to, when its
   * permission covers only some objects: an agent sees only the tasks bound to its machine.
   */
  listRestriction?(principal: Principal, resource: string): { field: string; value: string } | undefined;
  /**
   * After a write was allowed and decoded: may this principal make exactly this change (`current`
   * undefined on create)? A refusal message (403), or undefined. The node authorizer narrows an
   * agent's task writes to removing its finalizer here.
   */
  admit?(principal: Principal, attrs: Attributes, next: AnyObject, current: AnyObject | undefined): string | undefined;
}

export function isAdministrator(p: Principal): boolean {
  return p.groups.includes(ADMINISTRATORS_GROUP);
}

export const allowAdministrators: Authorizer = {
  allowed: (p) => isAdministrator(p),
};

/** `verb resource[/sub]` as a denial names it: "create services", "update tasks/status". */
export function permissionName(attrs: Attributes): string {
  return `${attrs.verb} ${attrs.resource}${attrs.subresource ? `/${attrs.subresource}` : ''}`;
}

/** Why a request was refused: `user "ann" cannot create services in namespace "prod"`. */
export function denialMessage(p: Principal, attrs: Attributes): string {
  const who = p.anonymous ? 'anonymous user' : `user "${p.name}"`;
  // A create names no object yet as far as the caller is concerned: the kind is what is missing.
  const what = attrs.name !== undefined && attrs.verb !== 'create' ? `${permissionName(attrs)} "${attrs.name}"` : permissionName(attrs);
  const where = attrs.namespace !== undefined ? ` in namespace "${attrs.namespace}"` : attrs.resource !== 'system' ? ' cluster-wide' : '';
  return `${who} cannot ${what}${where}`;
}
