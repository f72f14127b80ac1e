// Conflict globs with the semantics of Go's path.Match, which fleet uses for X-Fleet Conflicts:
// `*` any run of characters but `/`, `?` one character but `/`, `[a-z]` / `[^a-z]` classes,
// `\` escapes the next character. A malformed pattern matches nothing (fleet logs it and moves on).

const NEVER = /(?!)/;
const cache = new Map<string, RegExp>();

/** Does `name` match the glob `pattern`? Compiled patterns are cached. */
export function globMatches(pattern: string, name: string): boolean {
  let re = cache.get(pattern);
  if (re === undefined) {
    re = compileGlob(pattern);
    if (cache.size > 10_000) cache.clear();
    cache.set(pattern, re);
  }
  return re.test(name);
}

export function compileGlob(pattern: string): RegExp {
  const chars = Array.from(pattern);
  let src = '';
  let i = 0;
  // Reads one class bound, escaped or not; undefined when the pattern is malformed there.
  const classChar = (): string | undefined => {
    let c = chars[i];
    if (c === undefined || c === '-' || c === ']') return undefined;
    if (c === '\\') {
      i++;
      c = chars[i];
      if (c === undefined) return undefined;
    }
    i++;
    return i < chars.length ? c : undefined;
  };
  while (i < chars.length) {
    const c = chars[i];
    if (c === '*') {
      src += '[^/]*';
      i++;
    } else if (c === '?') {
      src += '[^/]';
      i++;
    } else if (c === '\\') {
      const next = chars[i + 1];
      if (next === undefined) return NEVER;
      src += literal(next);
      i += 2;
    } else if (c === '[') {
      i++;
      let negated = false;
      if (chars[i] === '^') {
        negated = true;
        i++;
      }
      let ranges = '';
      let count = 0;
      for (;;) {
        if (chars[i] === ']' && count > 0) {
          i++;
          break;
        }
        const lo = classChar();
        if (lo === undefined) return NEVER;
        let hi = lo;
        if (chars[i] === '-') {
          i++;
          const h = classChar();
          if (h === undefined) return NEVER;
          hi = h;
        }
        // Go accepts an inverted range and it matches nothing; a RegExp would throw.
        if (lo.codePointAt(0)! <= hi.codePointAt(0)!) ranges += `${literal(lo)}-${literal(hi)}`;
        count++;
      }
      src += negated ? `[^${ranges}]` : `[${ranges}]`;
    } else {
      src += literal(c);
      i++;
    }
  }
  return new RegExp(`^${src}$`, 'u');
}

function literal(c: string): string {
  return /[A-Za-z0-9]/.test(c) ? c : `\\u{${c.codePointAt(0)!.toString(16)}}`;
}
