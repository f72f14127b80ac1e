// Admission: what a caller may write beyond the verb, as Kubernetes' admission does. A template
// that runs as root needs tasks/root (a caller without it gets the default user filled in when
// the template names none), privileged changes need their subresource (tasks/bind), and the
// authorizer may narrow the change (an agent only removes its finalizer). Checked on create and
// whenever the template changes, so a non-admin may still scale an admin's root service. What a
// write makes the server use (a Host's SSH secret) the writer must be allowed to use itself.
import { Forbidden } from '../errors.js';
import { runsAsRoot, sameJson, type AnyObject, type TaskTemplate } from '../model/index.js';
import { denialMessage, type Attributes, type Authorizer } from '../security/authorizer.js';
import { authorize } from './authorize.js';
import type { RequestContext } from './context.js';
import type { Kind } from './kinds/kind.js';

export interface AdmissionContext {
  kind: Kind;
  authorizer: Authorizer;
  /** Filled into a template without a user for a caller who may not run tasks as root ('': refuse). */
  defaultTaskUser: string;
  /** The namespace written in (undefined for a cluster-wide kind). */
  namespace: string | undefined;
}

/** The object as it may be written (a default user filled in), or Forbidden saying what is missing. */
export function admitWrite<T extends AnyObject>(a: AdmissionContext, ctx: RequestContext, obj: T, current: T | undefined): T {
  const p = ctx.principal;
  const { namespace } = a;
  const name = obj.metadata.name;
  const templateOf = a.kind.options.template as ((o: T) => TaskTemplate | undefined) | undefined;
  const template = templateOf?.(obj);
  if (template && (!current || !sameJson(template, templateOf!(current)))) {
    const root: Attributes = { verb: 'create', resource: 'tasks', subresource: 'root', namespace, name };
    if (!a.authorizer.allowed(p, root)) {
      if (template.user === undefined && a.defaultTaskUser) template.user = a.defaultTaskUser;
      if (runsAsRoot(template)) throw new Forbidden(`${denialMessage(p, root)}: the template would run as root; set user (User= in a unit) to another user`);
    }
  }
  const privileges = (a.kind.options.privileges as ((n: T, c: T | undefined) => string[]) | undefined)?.(obj, current) ?? [];
  for (const subresource of privileges) authorize(a.authorizer, ctx, { verb: 'create', resource: a.kind.plural, subresource, namespace, name });
  const usesOf = a.kind.options.uses as ((o: T) => Attributes[]) | undefined;
  if (usesOf) {
    const before = current ? usesOf(current) : [];
    for (const use of usesOf(obj)) if (!before.some((b) => sameJson(b, use))) authorize(a.authorizer, ctx, use);
  }
  const refusal = a.authorizer.admit?.(p, { verb: current ? 'update' : 'create', resource: a.kind.plural, namespace, name }, obj, current);
  if (refusal) throw new Forbidden(refusal);
  return obj;
}
