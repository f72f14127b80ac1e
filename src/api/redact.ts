// What a support bundle must never carry: a value whose name looks secret (a password, token or
// key setting) and anything shaped like a credential in free text (drover tokens, bearer
// headers, PEM private keys). Applied to every file of the bundle, logs included.

const SECRET_NAME = /pass(word)?|secret|token|credential|private|key|auth(?!orization-mode)/i;
const SECRET_TEXT: [RegExp, string][] = [
  [/drover\.[0-9a-f]{16}\.[0-9a-f]{64}/g, 'drover.<redacted>'],
  [/(bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1<redacted>'],
  [/(basic\s+)[A-Za-z0-9+/=]{8,}/gi, '$1<redacted>'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '<redacted private key>'],
];

export const REDACTED = '<redacted>';

/** A copy of `value` with the string values under secret-looking names replaced (flags such as auth: true stay). */
export function redactSettings(value: unknown, name = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redactSettings(v, name));
  // A setting's {value, source}: its source is no secret.
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'source' ? v : redactSettings(v, SECRET_NAME.test(k) ? k : name)]));
  if (typeof value === 'string' && SECRET_NAME.test(name)) return REDACTED;
  return value;
}

/** `text` with every credential-shaped run replaced. */
export function scrubText(text: string): string {
  let out = text;
  for (const [re, by] of SECRET_TEXT) out = out.replace(re, by);
  return out;
}
