// A component's own recent log lines, kept in memory for `GET /api/v1/system/logs` and the
// support bundle: the last lines up to a count and a byte budget (the oldest go first), and the
// lines written from now on for those who follow. Written to as a pino destination.

export interface LogRingOptions {
  /** Lines kept (default 2,000). */
  maxLines?: number;
  /** Bytes kept (default 1 MiB): a few huge lines cannot hold the memory of thousands. */
  maxBytes?: number;
}

export class LogRing {
  private readonly lines: string[] = [];
  private bytes = 0;
  private partial = '';
  private readonly followers = new Set<(line: string) => void>();
  private readonly maxLines: number;
  private readonly maxBytes: number;

  constructor(opts: LogRingOptions = {}) {
    this.maxLines = opts.maxLines ?? 2_000;
    this.maxBytes = opts.maxBytes ?? 1024 * 1024;
  }

  /** Takes what pino writes: whole lines, each ending in "\n" (a chunk without one is kept until it ends). */
  write(chunk: string | Uint8Array): boolean {
    const text = this.partial + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) if (line) this.push(line);
    return true;
  }

  /** The last `tail` lines (all kept when undefined), oldest first. */
  tail(tail?: number): string[] {
    return tail === undefined ? [...this.lines] : tail <= 0 ? [] : this.lines.slice(-tail);
  }

  /** Calls `onLine` with each line written from now on; returns the way to stop. */
  follow(onLine: (line: string) => void): () => void {
    this.followers.add(onLine);
    return () => this.followers.delete(onLine);
  }

  private push(line: string): void {
    this.lines.push(line);
    this.bytes += line.length;
    while (this.lines.length > this.maxLines || (this.bytes > this.maxBytes && this.lines.length > 1)) this.bytes -= this.lines.shift()!.length;
    for (const f of this.followers) f(line);
  }
}
