// Writes a LogRing to an HTTP response as NDJSON (pino's own lines): the last lines, then, when
// following, each new one until the client leaves or the process shuts the stream.
import type { ServerResponse } from 'node:http';
import type { LogRing } from './log-ring.js';

export interface ServeRingOptions {
  tail?: number;
  follow: boolean;
  /** Registers the way to end the stream at shutdown. */
  track?(res: ServerResponse, end: () => void): void;
}

export function serveLogRing(ring: LogRing | undefined, res: ServerResponse, opts: ServeRingOptions): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  // A follower with nothing to read yet still learns at once that the stream is open.
  res.flushHeaders();
  for (const line of ring?.tail(opts.tail) ?? []) res.write(line + '\n');
  if (!opts.follow || !ring) return void res.end();
  const stop = ring.follow((line) => res.write(line + '\n'));
  res.once('close', stop);
  opts.track?.(res, () => {
    stop();
    res.end();
  });
}
