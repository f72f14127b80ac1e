// Watch streams over HTTP: NDJSON or Server-Sent Events, whole objects or RFC 6902 diffs.
// Each event's bytes are encoded once per format and shared by every watcher (the memo on
// the cache event); a watcher whose socket falls too far behind gets an ERROR event with the
// revision to resume from and is closed, so one slow client cannot hold memory hostage.
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import jsonpatch from 'fast-json-patch';
import { API_VERSION } from '../../model/index.js';
import type { WatchSource } from '../../registry/index.js';
import type { CacheEvent, EventType, Subscription } from '../../state/watch-cache.js';
import type { OpenStreams } from '../open-streams.js';
import { staleWarning } from '../protocol/warning.js';

export interface WatchOptions {
  diff: boolean;
  sse: boolean;
  /** Server-side end of the stream. */
  timeoutMs?: number;
  /** Bytes queued on a socket before the watcher is dropped. */
  maxBufferedBytes: number;
}

type Format = 'n' | 's';

/**
 * The event's bytes as an HTTP chunk (see frame). `initial`: one of the ADDED events of the current state sent before the first BOOKMARK. They
 * come in name order, not revision order, so their revision is no place to resume from: an SSE
 * frame of one carries no `id:` (the BOOKMARK after them does).
 */
export function encodeEvent(ev: CacheEvent, type: EventType, format: Format, diff: boolean, initial = false): Buffer {
  const useDiff = diff && type === 'MODIFIED' && ev.type === 'MODIFIED' && ev.prev !== undefined;
  const key = format + type + (useDiff ? 'd' : '') + (initial ? 'i' : '');
  const memo = ev.frames();
  let buf = memo.get(key);
  if (!buf) {
    let payload: string;
    if (useDiff) {
      let patch = memo.get('patch');
      if (!patch) {
        patch = Buffer.from(JSON.stringify(jsonpatch.compare(ev.prev!.object, ev.entry.object)));
        memo.set('patch', patch);
      }
      payload = `{"type":"MODIFIED","name":${JSON.stringify(ev.name)},"revision":${ev.revision},"patch":${patch.toString()}}`;
    } else {
      payload = `{"type":"${type}","object":${ev.entry.text()}}`;
    }
    buf = frame(payload, format, type, initial ? undefined : ev.revision);
    memo.set(key, buf);
  }
  return buf;
}

const CRLF = Buffer.from('\r\n');

/**
 * One event as a whole HTTP/1.1 chunk (size line, frame, CRLF), encoded into one buffer: built
 * once per event and format, the same bytes go to every watcher's socket. `chunkBody` gives the
 * frame alone.
 */
function frame(payload: string, format: Format, type: string, revision: number | undefined): Buffer {
  const body = format === 'n' ? `${payload}\n` : `event: ${type}\n${revision === undefined ? '' : `id: ${revision}\n`}data: ${payload}\n\n`;
  return Buffer.from(`${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n`);
}

function chunkBody(chunk: Buffer): Buffer {
  return chunk.subarray(chunk.indexOf(CRLF) + 2, chunk.length - 2);
}

/**
 * Every event a watch gets in one turn of the event loop goes out in one socket write: the
 * socket is corked at its first event and uncorked once I/O callbacks of this turn have run
 * (setImmediate, no timer). Idle, that is one write per event as before; under load — a group
 * commit's batch, or several etcd watch messages read in one poll — events share a write, so a
 * fan-out to 1,000 sockets costs 1,000 syscalls per turn rather than per event.
 */
function holdUntilTurnEnds(res: ServerResponse): void {
  if (held.has(res)) return;
  res.cork();
  held.add(res);
  if (held.size === 1) setImmediate(releaseHeld);
}

const held = new Set<ServerResponse>();

function releaseHeld(): void {
  for (const res of held) res.uncork();
  held.clear();
}

export function serveWatch(_req: FastifyRequest, reply: FastifyReply, source: WatchSource, opts: WatchOptions, streams: OpenStreams): void {
  const { cache, filter, revision } = source;
  const format: Format = opts.sse ? 's' : 'n';
  const raw = reply.raw;
  reply.hijack();
  raw.writeHead(200, {
    'content-type': opts.sse ? 'text/event-stream' : 'application/x-ndjson',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    ...(source.staleSince ? { warning: staleWarning(source.staleSince) } : {}),
  });
  raw.flushHeaders();
  // A chunked response that owns its socket (not queued behind a pipelined response) writes
  // the shared, already-framed chunk straight to the socket: per watcher that is one buffer,
  // not the four (size, CRLF, data, CRLF) and the JS that res.write spends building them.
  // raw.end() still writes the last chunk after them, on the same socket.
  const socket = raw.socket;
  const put = socket && raw.chunkedEncoding ? (chunk: Buffer) => socket.write(chunk) : (chunk: Buffer) => raw.write(chunkBody(chunk));

  let lastRevision = revision ?? 0;
  // Without a revision the stream starts with the current state, which ends at the first BOOKMARK.
  let initial = revision === undefined;
  let sub: Subscription | undefined = undefined;
  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    sub?.close();
    clearTimeout(timer);
    if (!raw.writableEnded) raw.end();
  };
  const write = (buf: Buffer) => {
    if (closed) return;
    holdUntilTurnEnds(raw);
    put(buf);
    if (raw.writableLength > opts.maxBufferedBytes) {
      put(errorFrame(410, 'Gone', `watcher fell behind (over ${opts.maxBufferedBytes} bytes unsent); resume from revision ${lastRevision}`));
      finish();
    }
  };
  /** An ERROR event: the stream ends, and the client resumes from `lastRevision`. */
  const errorFrame = (code: number, reason: string, message: string) =>
    frame(JSON.stringify({ type: 'ERROR', object: { error: { code, reason, message }, metadata: { revision: lastRevision } } }), format, 'ERROR', lastRevision);
  // Ended when the server shuts down, with an event saying where to resume.
  streams.add(raw, () => {
    put(errorFrame(503, 'Unavailable', `the server is shutting down; watch again from revision ${lastRevision}, here when it is back or on another server`));
    finish();
  });
  const kind = cache.info.kind;
  sub = cache.subscribe(
    filter,
    {
      send: (ev, type) => {
        write(encodeEvent(ev, type, format, opts.diff, initial));
        if (!initial) lastRevision = ev.revision;
      },
      bookmark: (at) => {
        initial = false;
        const body = `{"type":"BOOKMARK","object":{"apiVersion":"${API_VERSION}","kind":"${kind}","metadata":{"revision":${at}}}}`;
        write(frame(body, format, 'BOOKMARK', at));
        lastRevision = at;
      },
    },
    revision,
  );
  if (closed) sub.close();
  const timer = opts.timeoutMs ? setTimeout(finish, opts.timeoutMs) : undefined;
  // The response closes when the client goes away (or we end it).
  raw.on('close', finish);
}
