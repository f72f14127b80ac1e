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

/** The server could not be reached at all (refused, reset, DNS), or stopped answering. */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
  constructor(
    message: string,
    /** The server URL it was about, when there was one. */
    readonly server?: string,
    /** The cause in a word or a few: ECONNREFUSED, "did not answer within 30s". */
    readonly problem?: string,
  ) {
    super(message);
  }
}

/** The server accepted the connection but did not answer in time. */
export class ServerTimeout extends ConnectionError {
  override name = 'ServerTimeout';
  constructor(server: string, timeoutMs: number) {
    const within = durationText(timeoutMs);
    super(`the server at ${server} did not answer within ${within}`, server, `no answer within ${within}`);
  }
}

/** 30000 → "30s", 1500 → "1.5s", 250 → "250ms": how the CLI's duration flags are written. */
export function durationText(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/** What went wrong with a connection, in a word or a few (for "lost connection to …: WHY"). */
export function connectionProblem(err: unknown): string {
  if (err instanceof ConnectionError && err.problem) return err.problem;
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
}

/** The server has no such route (an older one): 405, or 404 "no such resource" rather than a missing object. */
export function isUnknownRoute(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 405 || (code === 404 && /no such resource/.test((err as Error).message));
}

/** A batch the server would not take as a whole (400 malformed, 413 too big): its items may still go one by one. */
export function isRefusedWhole(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 400 || code === 413;
}

/** What a batch item answers when sent on its own (an older server): `ok` if the call succeeds, else the server's code; other failures throw. */
export async function answerAlone(call: () => Promise<unknown>, ok: number): Promise<{ code: number; reason?: string; message?: string }> {
  try {
    await call();
    return { code: ok };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { code: err.code, reason: err.reason, message: err.message };
  }
}
