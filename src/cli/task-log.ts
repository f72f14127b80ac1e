// A task's log through the server: read once, or followed across lost connections. The log API
// has no offset to resume from, so a follow asks for each record's time (timestamps=true,
// stripped again unless the user asked for them) and, after a drop, asks again from just before
// the last record it printed and skips what it already printed: nothing twice, nothing missed.
// A follow ends when the task's run is over. (A line longer than the shim's 16 KiB buffer comes
// as several records: while following, the later parts show their time inside the line.)
import type { Client } from '../client/client.js';
import { ConnectionError, errorFromResponse } from '../client/errors.js';
import { ApiError } from '../client/index.js';
import type { ConnectionNotice } from './connection-notice.js';
import { sleep } from './output.js';

export interface LogOptions {
  follow?: boolean;
  tail?: number;
  since?: string;
  timestamps?: boolean;
  stream?: 'stdout' | 'stderr';
  signal?: AbortSignal;
}

/** Opens a task's log; throws the server's error (not placed yet, agent unreachable…). */
export async function openLog(client: Client, task: string, opts: LogOptions): Promise<ReadableStream<Uint8Array>> {
  const res = await client.fetch('GET', client.tasks.pathOf(task, '/log'), {
    query: { follow: opts.follow || undefined, tail: opts.tail, since: opts.since, timestamps: opts.timestamps || undefined, stream: opts.stream },
    stream: true,
    signal: opts.signal,
  });
  if (!res.ok) throw errorFromResponse(res.status, await res.text());
  return res.body!;
}

/** Copies a log to `out`, each line prefixed (when a prefix is given). */
export async function pipeLog(body: ReadableStream<Uint8Array>, out: NodeJS.WritableStream, prefix = ''): Promise<void> {
  const decoder = new TextDecoder();
  let partial = '';
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      const text = decoder.decode(chunk, { stream: true });
      if (!prefix) {
        out.write(text);
        continue;
      }
      partial += text;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        out.write(`${prefix}${partial.slice(0, nl + 1)}`);
        partial = partial.slice(nl + 1);
      }
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  }
  if (partial) out.write(`${prefix}${partial}\n`);
}

export interface FollowOptions {
  tail?: number;
  since?: string;
  timestamps?: boolean;
  stream?: 'stdout' | 'stderr';
  signal?: AbortSignal;
  notice: ConnectionNotice;
}

/** Phases in which the agent stops following (the run is over). */
const OVER = new Set(['Succeeded', 'Failed', 'Lost', 'Stopped']);

/** Copies a task's log, record by record, to `write` (each record a line) until the task's run is over. */
export async function followLog(client: Client, task: string, write: (line: string) => void, opts: FollowOptions): Promise<void> {
  /** The time of the last record printed. */
  let last: string | undefined;
  let delay = 100;
  const retry = async (problem: unknown) => {
    opts.notice.lost(problem);
    await sleep(delay);
    delay = Math.min(delay * 2, 5_000);
  };
  while (!opts.signal?.aborted) {
    let body: ReadableStream<Uint8Array>;
    try {
      // A resumed follow starts a millisecond early: the API's `since` has millisecond precision.
      const from = last ? { since: new Date(Date.parse(last) - 1).toISOString() } : { tail: opts.tail, since: opts.since };
      body = await openLog(client, task, { follow: true, timestamps: true, stream: opts.stream, signal: opts.signal, ...from });
    } catch (err) {
      if (opts.signal?.aborted) return;
      if (!isOutage(err)) throw err;
      await retry(err);
      continue;
    }
    opts.notice.resumed();
    delay = 100;
    const onRecord = (time: string, text: string) => {
      // Never again or older than what was printed (records carry the shim's nanosecond time, one
      // record per time): a resumed stream starts a little early, and an agent can send the first
      // records of a follow twice (it measures the file before reading it).
      if (last !== undefined && time <= last) return;
      last = time;
      write(opts.timestamps ? `${time} ${text}` : text);
    };
    let problem: unknown;
    try {
      await readRecords(body, onRecord);
    } catch (err) {
      problem = err;
    }
    if (opts.signal?.aborted) return;
    if (problem === undefined) {
      // The agent ends a follow when the run is over; a server that went away can end it the same way.
      try {
        const t = await client.tasks.find(task);
        if (!t || OVER.has(t.status?.phase ?? '')) return;
      } catch (err) {
        problem = err;
      }
    }
    if (problem === undefined) await sleep(delay);
    else await retry(problem);
  }
}

/** The server is away or overloaded (worth retrying), rather than refusing the request. */
function isOutage(err: unknown): boolean {
  if (err instanceof ConnectionError) return true;
  return err instanceof ApiError && (err.code >= 500 || err.code === 429);
}

/** Calls `onRecord` for each "TIME TEXT\n" record; a last record without a newline comes as it is. */
async function readRecords(body: ReadableStream<Uint8Array>, onRecord: (time: string, text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buf = '';
  const emit = (line: string, end: string) => {
    const space = line.indexOf(' ');
    if (space > 0) onRecord(line.slice(0, space), line.slice(space + 1) + end);
  };
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        emit(buf.slice(0, nl), '\n');
        buf = buf.slice(nl + 1);
      }
    }
  } catch (err) {
    if ((err as Error).name === 'AbortError') return;
    throw err; // a record cut off here comes again whole after the resume
  }
  // Output without a final newline (a process that ended mid-line) is still output.
  if (buf) emit(buf, '');
}
