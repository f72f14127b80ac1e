import { ApiError, reasonCodes, type ErrorBody, type Reason } from '../errors.js';

/** Builds the ApiError a server answered with (or a generic one for a non-drover answer). */
export function errorFromResponse(status: number, text: string): ApiError {
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    if (body.error && typeof body.error.message === 'string') {
      const reason = (body.error.reason in reasonCodes ? body.error.reason : reasonFor(status)) as Reason;
      const err = new ApiError(reason, body.error.message, body.error.details);
      return err;
    }
  } catch {
    // not JSON: fall through
  }
  return new ApiError(reasonFor(status), `the server answered ${status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

function reasonFor(status: number): Reason {
  const found = (Object.entries(reasonCodes) as [Reason, number][]).find(([, c]) => c === status);
  if (found) return found[0];
  return status >= 500 ? 'Internal' : 'BadRequest';
}

/** The server could not be reached at all (refused, reset, DNS). */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
}
