// Reads a task's log (the shim's CRI-format output.log and its rotated output.log.1): tail,
// since, stream filter, and follow.
import { closeSync, createReadStream, existsSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface LogRecord {
  time: string;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  text: string;
}

export interface LogQuery {
  tail?: number;
  /** ISO time; records before it are skipped. */
  since?: string;
  stream?: 'stdout' | 'stderr';
}

export function parseRecord(line: string): LogRecord | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0 || c < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  return { time: line.slice(0, a), stream, partial: line.slice(b + 1, c) === 'P', text: line.slice(c + 1) };
}

function matches(r: LogRecord, q: LogQuery): boolean {
  if (q.stream && r.stream !== q.stream) return false;
  if (q.since && r.time < q.since) return false;
  return true;
}

/** The records of `path` matching `q`, up to byte `end` (exclusive; undefined: the whole file). */
async function readFileRecords(path: string, q: LogQuery, out: LogRecord[], keep: number, end?: number): Promise<void> {
  if (!existsSync(path) || end === 0) return;
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8', ...(end === undefined ? {} : { end: end - 1 }) }), crlfDelay: Infinity });
  for await (const line of rl) {
    const r = parseRecord(line);
    if (!r || !matches(r, q)) continue;
    out.push(r);
    if (out.length > keep * 2 && keep !== Infinity) out.splice(0, out.length - keep);
  }
}

/** Where the last complete line before `size` ends: a line still being written is the follow's to send whole. */
function completeLinesEnd(path: string, size: number): number {
  const block = Math.min(size, 64 * 1024);
  if (block === 0) return 0;
  const buf = Buffer.alloc(block);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, block, size - block);
  } finally {
    closeSync(fd);
  }
  const newline = buf.lastIndexOf(0x0a);
  // No newline in the last 64 KiB: one huge line; sending it now beats holding it.
  return newline < 0 ? size : size - block + newline + 1;
}

/** The records matching `q` that exist now (the last `tail` of them). */
export async function readLog(dir: string, q: LogQuery): Promise<{ records: LogRecord[]; offset: number }> {
  const keep = q.tail ?? Infinity;
  const out: LogRecord[] = [];
  await readFileRecords(join(dir, 'output.log.1'), q, out, keep);
  const path = join(dir, 'output.log');
  const offset = existsSync(path) ? completeLinesEnd(path, statSync(path).size) : 0;
  // Only up to the offset a follow starts from: a line written meanwhile is the follow's, not sent twice.
  await readFileRecords(path, q, out, keep, offset);
  return { records: keep === Infinity ? out : out.slice(-keep), offset };
}

/**
 * Follows output.log from `offset`, calling `onRecord` for each new matching record, until
 * `signal` aborts. Survives rotation (the file shrinks: start again from 0).
 */
export function followLog(dir: string, offset: number, q: LogQuery, onRecord: (r: LogRecord) => void, signal: AbortSignal): Promise<void> {
  const path = join(dir, 'output.log');
  let position = offset;
  let partialLine = '';
  let reading = false;
  let again = false;
  return new Promise((resolve) => {
    let watcher: FSWatcher | undefined;
    const read = async () => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          if (!existsSync(path)) continue;
          const size = statSync(path).size;
          if (size < position) position = 0;
          if (size === position) continue;
          const stream = createReadStream(path, { start: position, end: size - 1, encoding: 'utf8' });
          for await (const chunk of stream) partialLine += chunk as string;
          position = size;
          const lines = partialLine.split('\n');
          partialLine = lines.pop()!;
          for (const line of lines) {
            const r = parseRecord(line);
            if (r && matches(r, q)) onRecord(r);
          }
        } while (again && !signal.aborted);
      } finally {
        reading = false;
      }
    };
    try {
      watcher = watch(dir, () => void read());
    } catch {
      // the directory is gone: fall back to polling only
    }
    const poll = setInterval(() => void read(), 500);
    void read();
    signal.addEventListener(
      'abort',
      () => {
        watcher?.close();
        clearInterval(poll);
        void read().finally(resolve);
      },
      { once: true },
    );
  });
}
