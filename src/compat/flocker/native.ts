// The native layer's refusals, in Flocker's shape: Flocker has no words for most of them (it has
// no RBAC, no quota), so the native message is the description; the status stays meaningful.
import { ApiError } from '../../errors.js';
import { FlockerError } from './wire.js';

/** restapi/_error.py's UNAUTHORIZED: what Flocker answers a user who may not do something. */
const UNAUTHORIZED_DESCRIPTION = 'The user is not authorized to do this operation.';

export function asFlockerError(err: unknown): unknown {
  if (!(err instanceof ApiError) || err instanceof FlockerError) return err;
  if (err.code === 403) return new FlockerError(403, { description: `${UNAUTHORIZED_DESCRIPTION} (${err.message})` });
  // A body the native rules refuse (Invalid) is a bad request to Flocker.
  const code = err.code === 422 ? 400 : err.code;
  return new FlockerError(code, { description: err.message });
}

/** Runs a native call, turning its refusals into Flocker's. */
export async function native<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw asFlockerError(err);
  }
}
