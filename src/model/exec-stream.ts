// The interactive exec stream (GET …/tasks/NAME/exec as a WebSocket): binary messages whose
// first byte names a channel, as Kubernetes' channel.k8s.io does. Shared by the agent, the
// server's relay, the CLI and the console, so every side reads the same bytes the same way.

/** The WebSocket subprotocol of an exec session. */
export const EXEC_PROTOCOL = 'v1.exec.drover.io';

/**
 * Browsers cannot set an Authorization header on a WebSocket: the credential may come as a
 * subprotocol instead (Kubernetes' `base64url.bearer.authorization.k8s.io.` habit). The server
 * never selects it, so it is not echoed back.
 */
export const BEARER_PROTOCOL_PREFIX = 'base64url.bearer.authorization.drover.io.';
/** The same for a user and password (`user:password`, base64url). */
export const BASIC_PROTOCOL_PREFIX = 'base64url.basic.authorization.drover.io.';

export const ExecChannel = {
  /** Client → command: input bytes; an empty message ends the input (EOF). */
  stdin: 0,
  stdout: 1,
  /** Only without a tty: a terminal merges both streams into stdout. */
  stderr: 2,
  /** Command → client, last: JSON ExecStatus, then the session closes. */
  status: 3,
  /** Client → command: JSON {cols, rows}, the terminal's new size. */
  resize: 4,
} as const;

/** How an exec session ended. */
export interface ExecStatus {
  /** The command's exit code; null when it could not run or was killed. */
  exitCode: number | null;
  signal?: string | null;
  /** Why the command could not run, or was ended. */
  error?: string;
}

/** What to run, and how: the query of GET …/exec (`command` once per argument, as Kubernetes takes it). */
export interface ExecRequest {
  command: string[];
  tty: boolean;
  stdin: boolean;
  /** The terminal's size at the start (tty only). */
  cols: number;
  rows: number;
}

export type ExecQuery = Record<string, string | string[] | undefined>;

/** The request a query asks for; throws an Error saying what is wrong (a 400 to its caller). */
export function parseExecQuery(q: ExecQuery): ExecRequest {
  const command = q.command === undefined ? [] : [q.command].flat();
  if (command.length === 0 || command[0] === '') throw new Error('parameter command is required, once per argument: ?command=sh&command=-c&command=…');
  const flag = (name: string) => {
    const v = q[name];
    if (v === undefined || v === 'false' || v === '0') return false;
    if (v === 'true' || v === '1') return true;
    throw new Error(`parameter ${name} must be true or false, got "${String(v)}"`);
  };
  const size = (name: string, fallback: number) => {
    const v = q[name];
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`parameter ${name} must be a whole number 1–1000, got "${String(v)}"`);
    return n;
  };
  return { command, tty: flag('tty'), stdin: flag('stdin'), cols: size('cols', 80), rows: size('rows', 24) };
}

/** The query string that asks for `r`. */
export function execQueryString(r: Partial<ExecRequest> & { command: string[] }): string {
  const p = new URLSearchParams();
  for (const arg of r.command) p.append('command', arg);
  if (r.tty) p.set('tty', 'true');
  if (r.stdin) p.set('stdin', 'true');
  if (r.cols) p.set('cols', String(r.cols));
  if (r.rows) p.set('rows', String(r.rows));
  return p.toString();
}

/** One message: the channel byte, then the payload. */
export function execFrame(channel: number, payload: Uint8Array | string = new Uint8Array(0)): Uint8Array {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const out = new Uint8Array(bytes.length + 1);
  out[0] = channel;
  out.set(bytes, 1);
  return out;
}

/** The subprotocols a client offers: the exec protocol, and its credential when it cannot send a header. */
export function execProtocols(authorization?: string): string[] {
  if (!authorization) return [EXEC_PROTOCOL];
  const space = authorization.indexOf(' ');
  const scheme = authorization.slice(0, space).toLowerCase();
  const value = authorization.slice(space + 1).trim();
  if (scheme === 'bearer') return [EXEC_PROTOCOL, BEARER_PROTOCOL_PREFIX + base64url(new TextEncoder().encode(value))];
  if (scheme === 'basic') return [EXEC_PROTOCOL, BASIC_PROTOCOL_PREFIX + base64url(Uint8Array.from(atob(value), (c) => c.charCodeAt(0)))];
  return [EXEC_PROTOCOL];
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
