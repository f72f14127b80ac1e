// Secret: named values (passwords, keys, certificates) that tasks receive as environment
// variables or files. The values are sealed by the server before the store sees them; what GET,
// lists and watches show is `data` with every value replaced by REDACTED, and the ciphertext.
import type { ApiObject } from './meta.js';

/** What GET shows in place of a value; sent back (a PUT of GET output, an edit) it keeps the current value. */
export const REDACTED = '<redacted>';

export interface SecretSpec {
  /** key → value. Stored as REDACTED for every key; the values live in `encryptedData` only. */
  data?: Record<string, string>;
  /** Read-only: the values, sealed by the server (AES-256-GCM; key id inside). Ignored on writes. */
  encryptedData?: string;
}

export type Secret = ApiObject<SecretSpec, Record<string, never>>;

/** Key names, as Kubernetes allows them in a secret (they become file names). */
export const SECRET_KEY_PATTERN = /^[-._a-zA-Z0-9]+$/;

/**
 * What a secret's ciphertext is bound to (authenticated with it): a ciphertext copied into
 * another secret does not open. The namespace is named even before namespaces exist, so
 * secrets of today still open once they live in "default".
 */
export function secretSealContext(namespace: string | undefined, name: string): string {
  return `secrets/${namespace ?? 'default'}/${name}`;
}
