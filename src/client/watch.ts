// Watch as an async iterator: NDJSON events, resumed from the last seen revision whenever the
// connection drops, with backoff. A resume the server can no longer serve (410) ends the
// iteration with a Gone ApiError: the caller lists again.
import { ApiError } from '../errors.js';
import { connectionProblem } from './errors.js';
import type { AnyObject } from '../model/meta.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T extends AnyObject = AnyObject> {
  type: WatchEventType;
  object: T;
  /** With diff=true, MODIFIED events carry an RFC 6902 patch instead of the object. */
  patch?: unknown[];
  revision: number;
}

export interface WatchRequest {
  /** Opens the stream from `revision` (undefined: initial state first). */
  open(revision: number | undefined, signal: AbortSignal): Promise<Response>;
  signal?: AbortSignal;
  revision?: number;
  /** First and last reconnect delay. */
  backoffMs?: [number, number];
  /** Called once when the stream is lost (the server went away or stopped answering), before retrying. */
  onDisconnect?(problem: string): void;
  /** Called when a stream opens again after `onDisconnect`. */
  onReconnect?(): void;
  /** The first connection's failure is thrown instead of retried: a server never reached is a mistake, not an outage. */
  failFirstConnect?: boolean;
}

export async function* watchStream<T extends AnyObject>(req: WatchRequest): AsyncGenerator<WatchEvent<T>> {
  let revision = req.revision;
  const [minDelay, maxDelay] = req.backoffMs ?? [100, 5_000];
  let delay = minDelay;
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  // A signal aborted before the first next() fires no event: without this check the watch would
  // run until the process ends (an agent's close() waited forever on it).
  if (req.signal?.aborted) return;
  req.signal?.addEventListener('abort', onAbort, { once: true });
  let hasConnected = false;
  let isLost = false;
  const lost = (problem: string) => {
    if (isLost) return;
    isLost = true;
    req.onDisconnect?.(problem);
  };
  try {
    while (!controller.signal.aborted) {
      let res: Response;
      try {
        res = await req.open(revision, controller.signal);
      } catch (err) {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.code !== 503 && err.code !== 429 && err.code < 500) throw err;
        if (!hasConnected && req.failFirstConnect) throw err;
        lost(connectionProblem(err));
        await sleep(delay, controller.signal);
        delay = Math.min(delay * 2, maxDelay);
        continue;
      }
      hasConnected = true;
      if (isLost) {
        isLost = false;
        req.onReconnect?.();
      }
      // Why this stream ended, if it was lost rather than left on purpose.
      let problem: string | undefined = 'the server closed the stream';
      // A stream opened without a revision starts with the current state in name order, not
      // revision order: no resume point until the BOOKMARK that ends it. A drop before then
      // reopens from the current state again (ADDED events repeat; nothing is missed).
      let initial = revision === undefined;
      try {
        // Lines are cut from each chunk in place (no async generator per line, no re-slicing of
        // the rest of the buffer per line): a watcher's cost should be its JSON.parse.
        const decoder = new TextDecoder();
        let buf = '';
        read: for await (const chunk of res.body! as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true });
          let start = 0;
          let nl: number;
          while ((nl = buf.indexOf('\n', start)) >= 0) {
            const line = buf.slice(start, nl);
            start = nl + 1;
            // Events are JSON objects; anything blank (keep-alives, CRs) is skipped.
            if (line.charCodeAt(0) !== 123 /* { */ && !line.trim()) continue;
            const ev = JSON.parse(line) as { type: string; object?: AnyObject & { error?: { code: number; message: string } }; name?: string; revision?: number; patch?: unknown[] };
            if (ev.type === 'ERROR') {
              // The server dropped us (we fell behind): resume from the revision it names.
              const r = ev.object?.metadata?.revision;
              if (typeof r === 'number' && r > 0) revision = r;
              // 503: the server is going away (a lost connection, with its own words); otherwise we fell behind.
              problem = ev.object?.error?.code === 503 ? ev.object.error.message : undefined;
              break read;
            }
            const rev = ev.revision ?? ev.object?.metadata?.revision ?? revision ?? 0;
            if (ev.type === 'BOOKMARK') initial = false;
            if (!initial) revision = rev;
            if (ev.type === 'MODIFIED' && ev.patch) {
              yield { type: 'MODIFIED', object: { metadata: { name: ev.name, revision: rev } } as unknown as T, patch: ev.patch, revision: rev };
            } else {
              yield { type: ev.type as WatchEventType, object: ev.object as T, revision: rev };
            }
            delay = minDelay;
          }
          if (start > 0) buf = buf.slice(start);
        }
      } catch (err) {
        if (controller.signal.aborted) return;
        if (!(err instanceof TypeError) && (err as Error).name !== 'AbortError' && !(err as { code?: string }).code) throw err;
        problem = connectionProblem(err);
      }
      if (controller.signal.aborted) return;
      if (problem) lost(problem);
      await sleep(delay, controller.signal);
      delay = Math.min(delay * 2, maxDelay);
    }
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
    controller.abort();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
