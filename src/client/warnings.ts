// Warning headers (RFC 7234 §5.5): `warn-code warn-agent "warn-text" [warn-date]`, several
// joined by commas. drover's server sends one when an answer may be out of date (see the
// server's api/protocol/warning.ts); the client hands the warn-texts to ClientOptions.onWarning.

const WARNING = /\d{3} \S+ "((?:[^"\\]|\\.)*)"/g;

/** The warn-texts of a Warning header; a header not in that form counts as one text. */
export function warningTexts(header: string): string[] {
  const texts = [...header.matchAll(WARNING)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
  return texts.length > 0 || header.trim() === '' ? texts : [header.trim()];
}
