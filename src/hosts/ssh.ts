// One SSH connection to a host (the maintained ssh2 library, never the ssh binary): it verifies
// the host key against the one expected, runs commands given as argument arrays, and bounds
// every step with a timeout, so a host that hangs cannot hold up the controller.
import { createHash } from 'node:crypto';
import type { Client, ConnectConfig } from 'ssh2';
import { shellCommand } from './quote.js';

export interface SshTarget {
  address: string;
  port: number;
  user: string;
  privateKey?: string;
  passphrase?: string;
  password?: string;
  /** The fingerprint the host key must have; undefined: accept and report it (first contact). */
  expectedFingerprint?: string;
  /** Connection and handshake deadline (default 10 s). */
  timeoutMs?: number;
}

/** Why an SSH step failed, one CamelCase word, as it goes into a Host's status.reason. */
export type SshFailure = 'Unreachable' | 'AuthenticationFailed' | 'HostKeyChanged' | 'CommandFailed' | 'Timeout';

export class SshError extends Error {
  constructor(
    readonly reason: SshFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The OpenSSH SHA-256 fingerprint of a public key blob (ssh-keygen -l's format). */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

export class SshSession {
  private constructor(
    private readonly client: Client,
    private readonly where: string,
    /** The fingerprint of the key the host showed. */
    readonly hostKeyFingerprint: string,
  ) {}

  static async connect(target: SshTarget): Promise<SshSession> {
    const where = `${target.user}@${target.address}:${target.port}`;
    const timeoutMs = target.timeoutMs ?? 10_000;
    // ssh2 (and its crypto modules) when a host is first reached, not at every server start.
    const { Client } = await import('ssh2');
    const client = new Client();
    let seen: string | undefined;
    let keyChanged = false;
    return new Promise<SshSession>((resolve, reject) => {
      const fail = (err: SshError) => {
        clearTimeout(timer);
        client.end();
        reject(err);
      };
      // ssh2's readyTimeout covers the handshake only; this covers a TCP connect that never answers too.
      const timer = setTimeout(() => fail(new SshError('Unreachable', `no SSH session with ${where} within ${timeoutMs} ms: is the host up and sshd listening?`)), timeoutMs);
      client.once('ready', () => {
        clearTimeout(timer);
        // A connection that drops later (a host rebooting) closes its channels, which is how
        // callers learn of it; unheard, a late 'error' event would crash the server.
        client.on('error', () => {});
        resolve(new SshSession(client, where, seen!));
      });
      client.once('error', (err: Error & { level?: string; code?: string }) => {
        if (keyChanged) {
          fail(new SshError('HostKeyChanged', `the host key of ${target.address}:${target.port} changed: expected ${target.expectedFingerprint}, the host showed ${seen}; if the host was reinstalled, set spec.hostKey to ${seen}`));
        } else if (err.level === 'client-authentication') {
          fail(new SshError('AuthenticationFailed', `${where} refused the credentials (${err.message}): check that the secret's ssh-privatekey matches a key in the user's authorized_keys`));
        } else {
          fail(new SshError('Unreachable', `cannot reach ${where}: ${err.message}`));
        }
      });
      const config: ConnectConfig = {
        host: target.address,
        port: target.port,
        username: target.user,
        readyTimeout: timeoutMs,
        hostVerifier: (key: Buffer) => {
          seen = fingerprintOf(key);
          keyChanged = target.expectedFingerprint !== undefined && seen !== target.expectedFingerprint;
          return !keyChanged;
        },
        ...(target.privateKey ? { privateKey: target.privateKey } : {}),
        ...(target.passphrase ? { passphrase: target.passphrase } : {}),
        ...(target.password ? { password: target.password } : {}),
      };
      try {
        client.connect(config);
      } catch (err) {
        // ssh2 throws synchronously on a key it cannot parse.
        fail(new SshError('AuthenticationFailed', `cannot use the private key for ${where}: ${(err as Error).message}; the secret's ssh-privatekey must be an OpenSSH or PEM private key (and passphrase set if it is encrypted)`));
      }
    });
  }

  /** Runs `args` (quoted: no shell syntax gets through) and collects its output; throws on timeout. */
  exec(args: readonly string[], opts: { timeoutMs?: number; stdin?: string } = {}): Promise<CommandResult> {
    return this.run(shellCommand(args), args[0]!, opts);
  }

  /** Like exec, and a non-zero exit is a CommandFailed error naming the command and its stderr. */
  async check(args: readonly string[], opts: { timeoutMs?: number; stdin?: string } = {}): Promise<string> {
    const res = await this.exec(args, opts);
    if (res.code !== 0) throw new SshError('CommandFailed', `${args.join(' ')} failed on ${this.where} with exit status ${res.code}: ${res.stderr.trim().slice(0, 500) || 'no output'}`);
    return res.stdout;
  }

  /**
   * Runs a script built by the caller from shellWord-quoted parts (for redirections and `&`,
   * which an argument array cannot express); `what` names it in errors.
   */
  script(script: string, what: string, opts: { timeoutMs?: number; stdin?: string } = {}): Promise<CommandResult> {
    return this.run(script, what, opts);
  }

  close(): void {
    this.client.end();
  }

  private run(command: string, what: string, opts: { timeoutMs?: number; stdin?: string }): Promise<CommandResult> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, channel) => {
        if (err) return reject(new SshError('Unreachable', `cannot run ${what} on ${this.where}: ${err.message}`));
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        const timer = setTimeout(() => {
          channel.close();
          reject(new SshError('Timeout', `${what} did not finish on ${this.where} within ${timeoutMs} ms`));
        }, timeoutMs);
        channel.on('data', (d: Buffer) => out.push(d));
        channel.stderr.on('data', (d: Buffer) => errOut.push(d));
        channel.on('close', (code: number | null) => {
          clearTimeout(timer);
          resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errOut).toString('utf8') });
        });
        channel.end(opts.stdin);
      });
    });
  }
}
