// Secret: schema and strategy. Values are sealed here, in the registry's strategy, before the
// object goes to state/: the store (SQLite file, etcd), the watch cache, lists, watches, diffs
// and every façade only ever see ciphertext and "<redacted>", so no read path can leak a value by
// forgetting to hide it. Values come back only through `reveal`, which the registry calls for a
// caller allowed "secrets/values" (or a task's agent, through "tasks/secrets").
import { Type, type Static } from '@sinclair/typebox';
import { Invalid, Unavailable, type FieldError } from '../../errors.js';
import { REDACTED, SECRET_KEY_PATTERN, secretSealContext, type Secret, type SecretSpec as ModelSpec } from '../../model/index.js';
import type { Sealer } from '../../security/keyring.js';
import { escapePointer } from '../names.js';
import { defineKind, type Expect, type Same, type StrategyContext } from './kind.js';

/** The most a secret's keys and values may add up to: a secret is a password or a certificate, not a file store. */
export const MAX_SECRET_BYTES = 256 * 1024;

const SecretSpec = Type.Object(
  {
    data: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: `key → value (strings). GET shows every value as "${REDACTED}" unless asked with ?showValues=true by a caller allowed secrets/values; "${REDACTED}" sent back keeps the current value`,
      }),
    ),
    encryptedData: Type.Optional(Type.String({ description: 'read-only: the values as the server sealed them (AES-256-GCM); ignored on writes' })),
  },
  { additionalProperties: false },
);
const SecretStatus = Type.Object({}, { additionalProperties: false });

type _spec = Expect<Same<Static<typeof SecretSpec>, ModelSpec>>;

export const secrets = defineKind({
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
  shortNames: ['secret'],
  description: 'Named values that tasks get as environment variables or files; encrypted before they reach the store, and shown only to those allowed.',
  spec: SecretSpec,
  status: SecretStatus,
  specOptional: true,
  defaults: (spec) => ({ ...spec, data: spec.data ?? {} }),
  validate: (secret) => checkData(secret.spec.data ?? {}),
  toStored: (next, current, ctx) => sealed(next as Secret, current as Secret | undefined, sealerOf(ctx)),
  reveal: (stored, ctx) => revealed(stored as Secret, sealerOf(ctx)),
});

/** The values of a stored secret (key → value). */
export function secretValues(secret: Secret, sealer: Sealer): Record<string, string> {
  const sealedData = secret.spec.encryptedData;
  if (!sealedData) return {};
  try {
    return JSON.parse(sealer.open(sealedData, contextOf(secret))) as Record<string, string>;
  } catch (err) {
    throw new Unavailable(`secret "${secret.metadata.name}" cannot be decrypted here: ${(err as Error).message}`);
  }
}

/** The secret sealed again under the keyring's primary key, when another key sealed it (key rotation); undefined when it needs nothing. */
export function resealed(secret: Secret, sealer: Sealer): Secret | undefined {
  const sealedData = secret.spec.encryptedData;
  if (!sealedData || sealer.keyIdOf(sealedData) === sealer.primaryId) return undefined;
  return { ...secret, spec: { ...secret.spec, encryptedData: sealer.seal(JSON.stringify(secretValues(secret, sealer)), contextOf(secret)) } };
}

function checkData(data: Record<string, string>): FieldError[] {
  const errs: FieldError[] = [];
  let bytes = 0;
  for (const [k, v] of Object.entries(data)) {
    if (!SECRET_KEY_PATTERN.test(k) || k === '.' || k === '..' || k.length > 253) {
      errs.push({ path: `/spec/data/${escapePointer(k)}`, message: 'keys are 1–253 characters of letters, digits, -, _ and . (not "." or "..")' });
    }
    bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (bytes > MAX_SECRET_BYTES) errs.push({ path: '/spec/data', message: `the keys and values take ${bytes} bytes; the limit is ${MAX_SECRET_BYTES}: split the secret` });
  return errs;
}

/**
 * The stored form: every value "<redacted>", the values sealed in encryptedData. A value sent
 * as "<redacted>" keeps the key's current value (a PUT of GET output, an edit); when no value
 * changes, the current ciphertext is kept, so such a write changes nothing.
 */
function sealed(next: Secret, current: Secret | undefined, sealer: Sealer): Secret {
  const data = next.spec.data ?? {};
  const currentValues = current ? secretValues(current, sealer) : {};
  const values: Record<string, string> = {};
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(data)) {
    if (v !== REDACTED) values[k] = v;
    else if (Object.hasOwn(currentValues, k)) values[k] = currentValues[k]!;
    else errs.push({ path: `/spec/data/${escapePointer(k)}`, message: `is "${REDACTED}", the placeholder GET shows, and the secret has no value for this key to keep: give the value` });
  }
  if (errs.length) throw new Invalid(errs);
  // Checked again with the values "<redacted>" stood for: a secret must not grow past the limit a key at a time.
  const bytes = Object.entries(values).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (bytes > MAX_SECRET_BYTES) throw new Invalid([{ path: '/spec/data', message: `the keys and values take ${bytes} bytes; the limit is ${MAX_SECRET_BYTES}: split the secret` }]);
  const unchanged = current?.spec.encryptedData !== undefined && sameValues(values, currentValues);
  const encryptedData = unchanged ? current!.spec.encryptedData! : sealer.seal(JSON.stringify(values), contextOf(next));
  return { ...next, spec: { data: Object.fromEntries(Object.keys(values).map((k) => [k, REDACTED])), encryptedData } };
}

function revealed(stored: Secret, sealer: Sealer): Secret {
  const { encryptedData: _sealed, ...spec } = stored.spec;
  return { ...stored, spec: { ...spec, data: secretValues(stored, sealer) } };
}

function sameValues(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

function contextOf(secret: Secret): string {
  return secretSealContext((secret.metadata as { namespace?: string }).namespace, secret.metadata.name);
}

function sealerOf(ctx: StrategyContext): Sealer {
  if (!ctx.sealer) throw new Unavailable('this server has no key to encrypt secrets with; start it with a data dir (its key file is created there)');
  return ctx.sealer;
}
