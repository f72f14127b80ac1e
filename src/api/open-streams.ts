// Responses that stay open (watches, followed logs, exec): they would keep a closing server
// alive for as long as their clients stay, so the server ends them first, each with its own
// last words (a watch says where to resume).
import type { ServerResponse } from 'node:http';

export class OpenStreams {
  private readonly open = new Map<ServerResponse, () => void>();

  /** Tracks `res` until it closes; `end` finishes it when the server shuts down. */
  add(res: ServerResponse, end: () => void): void {
    this.open.set(res, end);
    res.once('close', () => this.open.delete(res));
  }

  get size(): number {
    return this.open.size;
  }

  /** Ends every open stream (server shutdown). */
  endAll(): void {
    for (const [res, end] of [...this.open]) {
      this.open.delete(res);
      try {
        end();
      } catch {
        if (!res.writableEnded) res.destroy();
      }
    }
  }
}
