// The few Go standard-library string behaviours fleet's observable output depends on:
// unicode.IsSpace / strings.TrimSpace / strings.Fields (which differ from String.prototype.trim:
// Go trims U+0085 and not U+FEFF), strconv.Quote / QuoteRune (the `%q` in fleet's error
// messages), and utf8.DecodeRune / FullRune (go-systemd reads runes through a bufio.Reader).

/** unicode.IsSpace */
export function isGoSpace(cp: number): boolean {
  switch (cp) {
    case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0d: case 0x20: case 0x85: case 0xa0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202f: case 0x205f: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200a;
  }
}

/** strings.TrimSpace */
export function goTrimSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isGoSpace(s.charCodeAt(start))) start++;
  while (end > start && isGoSpace(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/** strings.Fields: split around runs of Unicode white space. */
export function goFields(s: string): string[] {
  const out: string[] = [];
  let word = '';
  for (const ch of s) {
    if (isGoSpace(ch.codePointAt(0)!)) {
      if (word) out.push(word);
      word = '';
    } else word += ch;
  }
  if (word) out.push(word);
  return out;
}

// unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function quoteChar(ch: string, quote: string): string {
  const cp = ch.codePointAt(0)!;
  if (ch === quote || ch === '\\') return `\\${ch}`;
  if (PRINTABLE.test(ch)) return ch;
  switch (ch) {
    case '\x07': return '\\a';
    case '\b': return '\\b';
    case '\f': return '\\f';
    case '\n': return '\\n';
    case '\r': return '\\r';
    case '\t': return '\\t';
    case '\v': return '\\v';
  }
  if (cp < 0x80) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}

/** strconv.Quote, i.e. fmt's %q of a string. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) out += quoteChar(ch, '"');
  return `${out}"`;
}

/** strconv.QuoteRune, i.e. fmt's %q of a rune. */
export function goQuoteRune(ch: string): string {
  return `'${quoteChar(ch, "'")}'`;
}

// First-byte classes of UTF-8, as Go's unicode/utf8 tables: [sequence length, low, high] where
// low..high is the accepted range of the second byte. Length 1 with low 0 marks invalid bytes.
function utf8Class(b: number): [number, number, number] {
  if (b < 0x80) return [1, 0x80, 0xbf];
  if (b < 0xc2) return [1, 0, 0];
  if (b < 0xe0) return [2, 0x80, 0xbf];
  if (b === 0xe0) return [3, 0xa0, 0xbf];
  if (b === 0xed) return [3, 0x80, 0x9f];
  if (b < 0xf0) return [3, 0x80, 0xbf];
  if (b === 0xf0) return [4, 0x90, 0xbf];
  if (b < 0xf4) return [4, 0x80, 0xbf];
  if (b === 0xf4) return [4, 0x80, 0x8f];
  return [1, 0, 0];
}

/** utf8.FullRune on bytes[start:end]. */
export function goFullRune(bytes: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n === 0) return false;
  const [size, lo, hi] = utf8Class(bytes[start]!);
  if (n >= size) return true;
  if (n > 1 && (bytes[start + 1]! < lo || bytes[start + 1]! > hi)) return true;
  if (n > 2 && (bytes[start + 2]! < 0x80 || bytes[start + 2]! > 0xbf)) return true;
  return false;
}

/** utf8.DecodeRune on bytes[start:end]: [code point, size]; U+FFFD with size 1 when invalid. */
export function goDecodeRune(bytes: Uint8Array, start: number, end: number): [number, number] {
  const b0 = bytes[start]!;
  if (b0 < 0x80) return [b0, 1];
  const [size, lo, hi] = utf8Class(b0);
  if (size === 1 || end - start < size) return [0xfffd, 1];
  const b1 = bytes[start + 1]!;
  if (b1 < lo || b1 > hi) return [0xfffd, 1];
  if (size === 2) return [((b0 & 0x1f) << 6) | (b1 & 0x3f), 2];
  const b2 = bytes[start + 2]!;
  if (b2 < 0x80 || b2 > 0xbf) return [0xfffd, 1];
  if (size === 3) return [((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f), 3];
  const b3 = bytes[start + 3]!;
  if (b3 < 0x80 || b3 > 0xbf) return [0xfffd, 1];
  return [((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f), 4];
}
