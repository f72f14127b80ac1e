// How a failure reads on the terminal. An invalid object lists every field error the server
// found, each with its path, on its own line: the server's one-line message names only the
// first ("… (and 4 more)"), which sends a user round the edit-apply loop once per mistake.
import { ApiError } from '../client/index.js';

/** Lines describing `err`; `subject` says what it was about (e.g. "web.yaml: service/web"). */
export function errorLines(err: unknown, subject?: string): string[] {
  const prefix = subject ? `${subject}: ` : '';
  const message = (err as Error)?.message ?? String(err);
  if (!(err instanceof ApiError) || !err.details?.length) return [`${prefix}${message}`];
  const n = err.details.length;
  // One problem: the server's one line says it all.
  if (n === 1 && !/\(and \d+ more\)$/.test(message)) return [`${prefix}${message}`];
  // The server's summary repeats the first detail: say how many there are instead.
  const headline = /^invalid object: /.test(message) ? `invalid object, ${n} problem${n === 1 ? '' : 's'}` : message;
  return [`${prefix}${headline}:`, ...err.details.map((d) => `  ${d.path || '/'}: ${d.message}`)];
}

/** Prints `error: …` to stderr, with every field error. */
export function printError(err: unknown, subject?: string): void {
  const [first, ...rest] = errorLines(err, subject);
  process.stderr.write(`error: ${first}\n${rest.map((l) => `${l}\n`).join('')}`);
}
