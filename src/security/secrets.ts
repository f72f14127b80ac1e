// Bearer tokens and password hashes. A token is "drover.<id>.<secret>": the id names its Token
// object (a lookup in the watch cache, no scan), the secret is 32 random bytes of which only the
// sha256 is stored. Passwords are hashed with scrypt and a random salt (slow on purpose).
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const TOKEN = /^drover\.([0-9a-f]{16})\.([0-9a-f]{64})$/;

export interface NewToken {
  id: string;
  /** The whole token, shown once to whoever created it. */
  token: string;
  secretHash: string;
}

export function newToken(): NewToken {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('hex');
  return { id, token: `drover.${id}.${secret}`, secretHash: sha256(secret) };
}

/** The id and secret hash of a well-formed token, else undefined. */
export function parseToken(token: string): { id: string; secretHash: string } | undefined {
  const m = TOKEN.exec(token);
  return m ? { id: m[1]!, secretHash: sha256(m[2]!) } : undefined;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

// ~50 ms per hash on these machines: cheap for a login, expensive for a guesser.
const SCRYPT = { N: 1 << 15, r: 8, p: 1 };
const KEY_BYTES = 32;

function scryptAsync(password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, { ...opts, maxmem: 128 * opts.N! * opts.r! * 2 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
