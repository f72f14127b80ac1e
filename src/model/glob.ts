// Go's path.Match, the one glob matcher: fleet uses it for Conflicts= and Replaces= globs
// (agent/state.go globMatches) and for the peer/conflict check of api/units.go ValidateOptions,
// and the scheduler for a service's conflicts:
//   *      any run of characters other than "/"
//   ?      one character other than "/"
//   [...]  a class: ranges "a-z", "^" first to negate, "\" escapes; never empty
//   \c     the character c
// The whole name must match. A malformed pattern matches nothing (fleet ignores the error).

const cache = new Map<string, RegExp | null>();

function escapeForClass(ch: string): string {
  return /[\\\]^[-]/.test(ch) ? `\\${ch}` : ch;
}

function escapeLiteral(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** The pattern as an anchored RegExp, or null when Go would answer ErrBadPattern. */
function compile(pattern: string): RegExp | null {
  const chars = [...pattern];
  let re = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= chars.length) return null;
      re += escapeLiteral(chars[++i]!);
    } else if (c === '[') {
      let j = i + 1;
      let negated = false;
      if (chars[j] === '^') {
        negated = true;
        j++;
      }
      let cls = '';
      let ranges = 0;
      for (;;) {
        if (j >= chars.length) return null;
        if (chars[j] === ']' && ranges > 0) break;
        const lo = classChar(chars, j);
        if (!lo) return null;
        j = lo.next;
        let hiCh = lo.ch;
        if (chars[j] === '-') {
          const hi = classChar(chars, j + 1);
          if (!hi) return null;
          hiCh = hi.ch;
          j = hi.next;
        }
        // Go accepts a reversed range; it just matches nothing
        if (hiCh.codePointAt(0)! >= lo.ch.codePointAt(0)!) cls += hiCh === lo.ch ? escapeForClass(lo.ch) : `${escapeForClass(lo.ch)}-${escapeForClass(hiCh)}`;
        ranges++;
      }
      // unlike * and ?, a class may match "/" (Go's matchChunk)
      if (cls === '') re += negated ? '[^]' : '(?!)';
      else re += negated ? `[^${cls}]` : `[${cls}]`;
      i = j;
    } else re += escapeLiteral(c);
  }
  try {
    return new RegExp(`^${re}$`, 'u');
  } catch {
    return null;
  }
}

/** One character of a class at chars[at]: "\c" or c, where c is not "-" or "]". */
function classChar(chars: string[], at: number): { ch: string; next: number } | undefined {
  const c = chars[at];
  if (c === undefined || c === '-' || c === ']') return undefined;
  if (c === '\\') {
    const e = chars[at + 1];
    return e === undefined ? undefined : { ch: e, next: at + 2 };
  }
  return { ch: c, next: at + 1 };
}

/** path.Match(pattern, name), with a malformed pattern matching nothing. */
export function goPathMatch(pattern: string, name: string): boolean {
  let re = cache.get(pattern);
  if (re === undefined) {
    re = compile(pattern);
    // The scheduler asks for every conflict glob against every service it places.
    if (cache.size > 10_000) cache.clear();
    cache.set(pattern, re);
  }
  return re !== null && re.test(name);
}
