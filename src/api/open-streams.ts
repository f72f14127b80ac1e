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

  /**
   * Ends every open stream (server shutdown). Resolves once their last words are flushed to the
   * socket, or after `flushMs`: the server destroys every connection next, and a socket destroyed
   * with bytes still queued (a busy TLS socket) would drop them — a watch would never hear where
   * to resume.
   */
  endAll(flushMs = 1_000): Promise<void> {
    const flushed: Promise<unknown>[] = [];
    for (const [res, end] of [...this.open]) {
      this.open.delete(res);
      try {
        end();
        if (!res.writableFinished && !res.destroyed) flushed.push(new Promise((r) => { res.once('finish', r); res.once('close', r); }));
      } catch {
        if (!res.writableEnded) res.destroy();
      }
    }
    if (!flushed.length) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([Promise.all(flushed), new Promise((r) => (timer = setTimeout(r, flushMs)))]).then(() => clearTimeout(timer));
  }
}
