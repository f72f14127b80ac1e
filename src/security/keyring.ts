// The keys secrets are encrypted with (AES-256-GCM), kept in a file in the server's data dir
// (mode 0600, created on first start). Every ciphertext names its key, so a rotation adds a key
// that new writes use while the old ones still decrypt what they sealed, until every secret has
// been sealed again and they are retired. The store (SQLite file, etcd) only ever sees ciphertext.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';

/** What a strategy needs to seal values before the store sees them, and to open them for those allowed. */
export interface Sealer {
  /** The id of the key new ciphertexts are sealed with. */
  readonly primaryId: string;
  /** `plain` encrypted under the primary key; `context` (the object's identity) is authenticated, so a ciphertext copied to another object does not open. */
  seal(plain: string, context: string): string;
  open(sealed: string, context: string): string;
  /** The id of the key `sealed` was sealed with. */
  keyIdOf(sealed: string): string;
}

interface KeyFile {
  primary: string;
  keys: { id: string; key: string; createdAt: string }[];
}

const PREFIX = 'aesgcm:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class Keyring implements Sealer {
  private constructor(
    private readonly path: string | undefined,
    private file: KeyFile,
  ) {}

  /** The keyring in `path`, created (one new key, mode 0600) when the file does not exist. */
  static open(path: string): Keyring {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const ring = new Keyring(path, { primary: '', keys: [] });
      ring.addKey();
      return ring;
    }
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) throw new Error(`the secrets key file ${path} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
    let file: KeyFile;
    try {
      file = JSON.parse(text) as KeyFile;
    } catch {
      throw new Error(`the secrets key file ${path} is not valid JSON; restore it from a backup`);
    }
    if (!file.keys?.some((k) => k.id === file.primary)) throw new Error(`the secrets key file ${path} has no key "${file.primary}" (its primary)`);
    for (const k of file.keys) {
      if (Buffer.from(k.key, 'base64').length !== 32) throw new Error(`key "${k.id}" in ${path} is not 32 bytes (AES-256)`);
    }
    return new Keyring(path, file);
  }

  /** A keyring that lives in memory only (tests, and servers built without a data dir). */
  static ephemeral(): Keyring {
    const ring = new Keyring(undefined, { primary: '', keys: [] });
    ring.addKey();
    return ring;
  }

  get primaryId(): string {
    return this.file.primary;
  }

  get keyIds(): string[] {
    return this.file.keys.map((k) => k.id);
  }

  seal(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key(this.file.primary), iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${this.file.primary}:${body.toString('base64')}`;
  }

  open(sealed: string, context: string): string {
    const id = this.keyIdOf(sealed);
    const body = Buffer.from(sealed.slice(PREFIX.length + id.length + 1), 'base64');
    if (body.length < IV_BYTES + TAG_BYTES) throw new Error('the ciphertext is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.key(id), body.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  keyIdOf(sealed: string): string {
    if (!sealed.startsWith(PREFIX)) throw new Error('not a drover ciphertext');
    const end = sealed.indexOf(':', PREFIX.length);
    if (end < 0) throw new Error('not a drover ciphertext');
    return sealed.slice(PREFIX.length, end);
  }

  /**
   * Adds a new key and makes it the primary (written to the file before it is used); returns its
   * id: "key<n>-<random>", so that two servers that each made their own file (instead of sharing
   * one) are told apart by the id, not by a failed decryption.
   */
  addKey(): string {
    const n = this.file.keys.reduce((max, k) => Math.max(max, Number(/^key(\d+)/.exec(k.id)?.[1] ?? 0)), 0) + 1;
    const id = `key${n}-${randomBytes(4).toString('hex')}`;
    this.save({ primary: id, keys: [...this.file.keys, { id, key: randomBytes(32).toString('base64'), createdAt: new Date().toISOString() }] });
    return id;
  }

  /** Forgets every key but the primary: once nothing is sealed with them any more. Returns the ids removed. */
  retireOthers(): string[] {
    const retired = this.file.keys.filter((k) => k.id !== this.file.primary).map((k) => k.id);
    if (retired.length) this.save({ primary: this.file.primary, keys: this.file.keys.filter((k) => k.id === this.file.primary) });
    return retired;
  }

  private key(id: string): Buffer {
    const k = this.file.keys.find((x) => x.id === id);
    if (!k) throw new Error(`no key "${id}" in this server's secrets key file: servers sharing a store need the same key file (--secrets-key-file), or the key was retired`);
    return Buffer.from(k.key, 'base64');
  }

  /** Replaces the file atomically (a crash leaves the old one or the new one), mode 0600 from the start. */
  private save(next: KeyFile): void {
    if (this.path) {
      const tmp = `${this.path}.tmp`;
      rmSync(tmp, { force: true }); // a leftover of a crash could have other permissions
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, JSON.stringify(next, null, 2) + '\n');
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
    }
    this.file = next;
  }
}
