// The audit log: one JSON line per mutating request, log/exec/kill, secret read and denial,
// appended to a file (mode 0600) and rotated by size, keeping a fixed number of old files
// (audit.log.1 is the newest). Lines are gathered and written once per event-loop turn, so a
// burst of writes costs one write system call, not one each; close() writes what is left.
import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

/** What one record says. Never a request body, a query string, a token, a password or a secret value. */
export interface AuditRecord {
  time: string;
  user: string;
  groups: string[];
  /** The client's address ("unix" on a socket). */
  source: string;
  /** The door the request came in by: "api", "fleet"… */
  door: string;
  verb: string;
  kind?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  code: number;
}

export interface AuditLogOptions {
  path: string;
  /** Size at which the file is rotated (default 100 MiB). */
  maxBytes?: number;
  /** Rotated files kept besides the current one (default 5). */
  maxFiles?: number;
  /** A write failed (disk full…): requests go on, the failure is reported once per kind of error. */
  onError?: (err: Error) => void;
}

export class AuditLog {
  readonly path: string;
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private fd: number;
  private size: number;
  private pending: string[] = [];
  private scheduled = false;
  private closed = false;
  private lastError = '';

  constructor(private readonly opts: AuditLogOptions) {
    this.path = opts.path;
    this.maxBytes = opts.maxBytes ?? 100 * 1024 * 1024;
    this.maxFiles = opts.maxFiles ?? 5;
    this.fd = openSync(this.path, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  record(r: AuditRecord): void {
    if (this.closed) return;
    this.pending.push(JSON.stringify(r) + '\n');
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes every record gathered so far. */
  flush(): void {
    this.scheduled = false;
    if (!this.pending.length || this.closed) return;
    const chunk = Buffer.from(this.pending.join(''));
    this.pending = [];
    try {
      if (this.size > 0 && this.size + chunk.length > this.maxBytes) this.rotate();
      writeSync(this.fd, chunk);
      this.size += chunk.length;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastError) this.opts.onError?.(err as Error);
      this.lastError = message;
    }
  }

  close(): void {
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }

  /** audit.log → audit.log.1 → … → audit.log.<maxFiles>, the oldest dropped. */
  private rotate(): void {
    closeSync(this.fd);
    rmSync(`${this.path}.${this.maxFiles}`, { force: true });
    for (let i = this.maxFiles - 1; i >= 1; i--) {
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    }
    if (this.maxFiles > 0) renameSync(this.path, `${this.path}.1`);
    else rmSync(this.path, { force: true });
    this.fd = openSync(this.path, 'a', 0o600);
    this.size = 0;
  }
}
