// What a long-running command (get -w, logs -f, run --attach) says on stderr when it loses the
// server and when it has it back, so a silent pause is never mistaken for a quiet cluster. Shared
// by every stream of one command: one outage, one pair of lines.
import { connectionProblem } from '../client/errors.js';

export class ConnectionNotice {
  private isLost = false;
  constructor(
    /** The server currently in use (the client may fail over to another). */
    private readonly server: () => string,
    private readonly out: NodeJS.WritableStream = process.stderr,
  ) {}

  /** The stream is gone and being retried; `problem` is what went wrong, or an error to describe. */
  readonly lost = (problem: unknown): void => {
    if (this.isLost) return;
    this.isLost = true;
    this.out.write(`lost connection to ${this.server()}: ${typeof problem === 'string' ? problem : connectionProblem(problem)}; retrying\n`);
  };

  readonly resumed = (): void => {
    if (!this.isLost) return;
    this.isLost = false;
    this.out.write('reconnected\n');
  };
}
