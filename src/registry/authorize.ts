// The registry's permission check: every read and write asks the authorizer first.
import { Forbidden } from '../errors.js';
import { denialMessage, type Attributes, type Authorizer } from '../security/authorizer.js';
import type { RequestContext } from './context.js';

/** Throws Forbidden, naming the missing permission, unless the context's principal may do `attrs`. */
export function authorize(authorizer: Authorizer, ctx: RequestContext, attrs: Attributes): void {
  if (!authorizer.allowed(ctx.principal, attrs)) throw new Forbidden(denialMessage(ctx.principal, attrs));
}
