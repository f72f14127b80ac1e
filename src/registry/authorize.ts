// The registry's permission check: every read and write asks the authorizer first.
import { Forbidden } from '../errors.js';
import type { Verb } from '../model/index.js';
import type { Authorizer } from '../security/authorizer.js';
import type { RequestContext } from './context.js';

/** Throws Forbidden unless the context's principal may use `verb` on `resource`. */
export function authorize(authorizer: Authorizer, ctx: RequestContext, verb: Verb, resource: string): void {
  if (!authorizer.allowed(ctx.principal, verb, resource)) {
    throw new Forbidden(`${ctx.principal.name} may not ${verb} ${resource}`);
  }
}
