// What one attempt of a health check found: passed or not, and in a few words why.
export interface ProbeResult {
  ok: boolean;
  /** "HTTP 200", "connection refused", the command's last output: what a person needs to see. */
  output: string;
}

/** The most of a probe's output kept (its tail): a check result says why, it is not a log. */
export const OUTPUT_MAX = 512;

/** Why a socket-level attempt failed, in the words people know ("connection refused"). */
export function connectionProblem(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    default:
      return err.message;
  }
}
