// The error envelope and its fixed reason catalog. Handlers throw these; one error handler
// (src/api/protocol/errors.ts) turns any of them, and anything else, into HTTP.

export type Reason =
  | 'BadRequest'
  | 'Invalid'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'PreconditionFailed'
  | 'Gone'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'PayloadTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'Internal'
  | 'Unavailable';

export const reasonCodes: Record<Reason, number> = {
  BadRequest: 400,
  Invalid: 422,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  PreconditionFailed: 412,
  Gone: 410,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  TooManyRequests: 429,
  Internal: 500,
  Unavailable: 503,
};

export interface FieldError {
  /** JSON pointer to the offending field, e.g. "/spec/replicas". */
  path: string;
  message: string;
}

export interface ErrorBody {
  error: { code: number; reason: Reason; message: string; details?: FieldError[] };
}

export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: number;
  /** Extra response headers (Allow for 405, Retry-After for 429/503). */
  headers: Record<string, string> = {};
  constructor(
    readonly reason: Reason,
    message: string,
    readonly details?: FieldError[],
  ) {
    super(message);
    this.code = reasonCodes[reason];
  }
  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, reason: this.reason, message: this.message };
    if (this.details?.length) error.details = this.details;
    return { error };
  }
}

export class BadRequest extends ApiError {
  constructor(message: string, details?: FieldError[]) {
    super('BadRequest', message, details);
  }
}
export class Invalid extends ApiError {
  constructor(details: FieldError[], message?: string) {
    super('Invalid', message ?? summarize(details), details);
  }
}
export class NotFound extends ApiError {
  constructor(message: string) {
    super('NotFound', message);
  }
}
export class AlreadyExists extends ApiError {
  constructor(message: string) {
    super('AlreadyExists', message);
  }
}
export class Conflict extends ApiError {
  constructor(message: string) {
    super('Conflict', message);
  }
}
export class PreconditionFailed extends ApiError {
  constructor(message: string) {
    super('PreconditionFailed', message);
  }
}
export class Gone extends ApiError {
  constructor(message: string) {
    super('Gone', message);
  }
}
export class Forbidden extends ApiError {
  constructor(message: string) {
    super('Forbidden', message);
  }
}
export class Unavailable extends ApiError {
  constructor(message: string, retryAfterSeconds = 1) {
    super('Unavailable', message);
    this.headers['retry-after'] = String(retryAfterSeconds);
  }
}
export class MethodNotAllowed extends ApiError {
  constructor(method: string, url: string, allow: string[]) {
    super('MethodNotAllowed', `method ${method} is not allowed on ${url}; allowed: ${allow.join(', ')}`);
    this.headers.allow = allow.join(', ');
  }
}

function summarize(details: FieldError[]): string {
  const first = details[0];
  if (!first) return 'the object is invalid';
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
  return `invalid object: ${first.path || '/'}: ${first.message}${more}`;
}
