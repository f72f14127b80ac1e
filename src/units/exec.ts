// systemd command lines (systemd.service(5), "Command lines"; systemd 252's config_parse_exec,
// extract_first_word, cunescape_one, replace_env_argv), for ExecStart= and friends.
//
// Supported, as systemd does it:
// - words split on blanks; single and double quotes group (anywhere in a word: a"b c"d is one
//   word); C escapes inside and outside quotes: \a \b \f \n \r \t \v \\ \" \' \s (space), \xNN,
//   \NNN (octal), \uXXXX, \UXXXXXXXX; an unknown escape is kept as written, with a warning;
// - prefixes on the executable: "-" (a failing exit status is ignored), "@" (the next word is
//   argv[0]), ":" (no environment expansion), "+" / "!" / "!!" (privilege modes, recorded);
// - "%" specifiers, resolved per word after unquoting (the caller supplies the resolver);
// - several commands on one line separated by a lone, unquoted ";"; "\;" (or a quoted ";") is a
//   literal ";" argument;
// - a bare executable name (no "/") is looked up by the caller in systemd's fixed search path;
// - at start time (expandCommandLine): "${NAME}" anywhere in a word is replaced by the value as
//   is; "$NAME" as a whole word becomes the value split at blanks (quotes respected), zero or
//   more words; "$$" is "$"; unset variables are empty. Not supported, as in systemd 252:
//   "$NAME" inside a word, ${NAME:-default} and other shell forms (left as written).
// What systemd refuses makes the unit fail to load, unless the command has the "-" prefix, in
// which case only that command line is dropped; both are reported the way systemd logs them.

export type ExecPrivileges = 'default' | 'full' | 'no-setuid' | 'ambient';

export interface ExecCommand {
  /** The executable (simplified: no "//", no "/./"): an absolute path, or a plain name to look up in the search path. */
  path: string;
  /** Arguments including argv[0] (the path, unless "@" gave another). Not yet env-expanded. */
  argv: string[];
  /** "-": a non-zero exit status (or a missing executable) does not fail the unit. */
  ignoreFailure: boolean;
  /** false with ":": $VAR and ${VAR} are passed literally. */
  expandEnvironment: boolean;
  /** "+" full, "!" no-setuid, "!!" ambient; drover records them and runs as its own user. */
  privileges: ExecPrivileges;
}

/** The outcome of one Exec*= line. `fatal` set means systemd refuses to load the unit. */
export interface ExecLineResult {
  commands: ExecCommand[];
  warnings: string[];
  fatal?: string;
}

const SEPARATORS = ' \t\n\r';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface ExtractFlags {
  unquote?: boolean;
  cunescape?: boolean;
  cunescapeRelax?: boolean;
  relax?: boolean;
  retainEscape?: boolean;
}

type Extracted = { word: string; next: number } | 'none' | 'invalid';

const hexDigit = (c: string | undefined) => (c !== undefined && /^[0-9a-fA-F]$/.test(c) ? parseInt(c, 16) : -1);
const octDigit = (c: string | undefined) => (c !== undefined && /^[0-7]$/.test(c) ? parseInt(c, 8) : -1);

/** cunescape_one at s[i] (just after a backslash): bytes and how many characters were used. */
function cunescapeOne(s: string, i: number): { bytes: number[]; used: number } | undefined {
  const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", s: ' ' };
  const c = s[i];
  if (c === undefined) return undefined;
  if (Object.hasOwn(simple, c)) return { bytes: [simple[c]!.charCodeAt(0)], used: 1 };
  if (c === 'x') {
    const a = hexDigit(s[i + 1]);
    const b = hexDigit(s[i + 2]);
    if (a < 0 || b < 0 || (a === 0 && b === 0)) return undefined;
    return { bytes: [(a << 4) | b], used: 3 };
  }
  if (c === 'u' || c === 'U') {
    const n = c === 'u' ? 4 : 8;
    let cp = 0;
    for (let k = 1; k <= n; k++) {
      const d = hexDigit(s[i + k]);
      if (d < 0) return undefined;
      cp = cp * 16 + d;
    }
    if (cp === 0 || cp > 0x10ffff || (c === 'U' && cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    const ch = cp >= 0xd800 && cp <= 0xdfff ? '\ufffd' : String.fromCodePoint(cp);
    return { bytes: [...encoder.encode(ch)], used: n + 1 };
  }
  const a = octDigit(c);
  if (a >= 0) {
    const b = octDigit(s[i + 1]);
    const d = octDigit(s[i + 2]);
    if (b < 0 || d < 0) return undefined;
    const m = (a << 6) | (b << 3) | d;
    if (m === 0 || m > 255) return undefined;
    return { bytes: [m], used: 3 };
  }
  return undefined;
}

/** systemd's extract_first_word with WHITESPACE separators, from s[start]. */
export function extractWord(s: string, start: number, flags: ExtractFlags): Extracted {
  let i = start;
  while (i < s.length && SEPARATORS.includes(s[i]!)) i++;
  if (i >= s.length) return 'none';
  const out: number[] = [];
  const push = (ch: string) => out.push(...encoder.encode(ch));
  const done = (next: number): Extracted => ({ word: decoder.decode(Uint8Array.from(out)), next });
  let quote: string | undefined;
  for (;;) {
    if (i >= s.length) {
      if (quote && !flags.relax) return 'invalid';
      return done(i);
    }
    const c = s[i]!;
    if (c === '\\' && !flags.retainEscape) {
      i++;
      if (i >= s.length) {
        if (flags.cunescapeRelax && (!quote || flags.relax)) {
          out.push(0x5c);
          return done(i);
        }
        if (flags.relax) return done(i);
        return 'invalid';
      }
      if (flags.cunescape) {
        const esc = cunescapeOne(s, i);
        if (esc) {
          out.push(...esc.bytes);
          i += esc.used;
        } else if (flags.cunescapeRelax) {
          out.push(0x5c);
          push(s[i]!);
          i++;
        } else return 'invalid';
      } else {
        push(s[i]!);
        i++;
      }
      continue;
    }
    if (quote) {
      if (c === quote) quote = undefined;
      else push(c);
      i++;
      continue;
    }
    if (flags.unquote && (c === '"' || c === "'")) {
      quote = c;
      i++;
      continue;
    }
    if (SEPARATORS.includes(c)) {
      while (i < s.length && SEPARATORS.includes(s[i]!)) i++;
      return done(i);
    }
    push(c);
    i++;
  }
}

/** extract_first_word_and_warn: retries with unknown escapes kept, and says so. */
function extractWordWarn(s: string, start: number, warnings: string[]): { word: string; next: number } | 'none' | 'unbalanced' {
  const flags: ExtractFlags = { unquote: true, cunescape: true };
  const first = extractWord(s, start, flags);
  if (first !== 'invalid') return first;
  const relaxed = extractWord(s, start, { ...flags, cunescapeRelax: true });
  if (relaxed === 'invalid') return 'unbalanced';
  if (relaxed !== 'none') warnings.push(`ignoring unknown escape sequences: ${JSON.stringify(relaxed.word)}`);
  return relaxed;
}

/** filename_is_valid: a single path element. */
function isPlainFilename(s: string): boolean {
  return s !== '' && s !== '.' && s !== '..' && !s.includes('/') && encoder.encode(s).length <= 255;
}

/** path_is_valid: at most PATH_MAX bytes, each element at most NAME_MAX. */
function isValidPath(s: string): boolean {
  return encoder.encode(s).length < 4096 && s.split('/').every((part) => encoder.encode(part).length <= 255);
}

/** path_simplify: no repeated slashes, no "." elements. */
function simplifyPath(s: string): string {
  const absolute = s.startsWith('/');
  const parts = s.split('/').filter((part) => part !== '' && part !== '.');
  return (absolute ? '/' : '') + parts.join('/') || (absolute ? '/' : '.');
}

/**
 * Parse one ExecStart=-style value (non-empty; an empty value resets the list, which is the
 * caller's business). `resolve` expands specifiers in one word and throws when it cannot.
 */
export function parseExecLine(value: string, resolve: (word: string) => string): ExecLineResult {
  const commands: ExecCommand[] = [];
  const warnings: string[] = [];
  let p = 0;
  let semicolon: boolean;
  do {
    semicolon = false;
    const first = extractWordWarn(value, p, warnings);
    if (first === 'none') break;
    if (first === 'unbalanced') {
      warnings.push(`unbalanced quoting, ignoring: ${JSON.stringify(value)}`);
      break;
    }
    p = first.next;
    if (first.word === ';') {
      semicolon = true;
      continue;
    }

    let ignoreFailure = false;
    let separateArgv0 = false;
    let expandEnvironment = true;
    let privileges: ExecPrivileges = 'default';
    let f = 0;
    for (; f < first.word.length; f++) {
      const c = first.word[f];
      if (c === '-' && !ignoreFailure) ignoreFailure = true;
      else if (c === '@' && !separateArgv0) separateArgv0 = true;
      else if (c === ':' && expandEnvironment) expandEnvironment = false;
      else if (c === '+' && privileges === 'default') privileges = 'full';
      else if (c === '!' && privileges === 'default') privileges = 'no-setuid';
      else if (c === '!' && privileges === 'no-setuid') privileges = 'ambient';
      else break;
    }
    const ignoring = ignoreFailure ? ', ignoring' : '';
    // With "-", a problem drops this command line; without, the unit fails to load.
    const refuse = (message: string): ExecLineResult => {
      if (ignoreFailure) {
        warnings.push(message);
        return { commands, warnings };
      }
      return { commands, warnings, fatal: message };
    };

    let path: string;
    try {
      path = resolve(first.word.slice(f));
    } catch (err) {
      return refuse(`failed to resolve unit specifiers in ${JSON.stringify(first.word.slice(f))}${ignoring}: ${(err as Error).message}`);
    }
    if (path === '') return refuse(`empty path in command line${ignoring}: ${JSON.stringify(value)}`);
    if (/[\x00-\x1f\x7f'"\\]/.test(path)) return refuse(`executable name contains special characters${ignoring}: ${JSON.stringify(path)}`);
    if (path.endsWith('/')) return refuse(`executable path specifies a directory${ignoring}: ${JSON.stringify(path)}`);
    if (path.startsWith('/') ? !isValidPath(path) : !isPlainFilename(path)) {
      return refuse(`neither a valid executable name nor an absolute path${ignoring}: ${JSON.stringify(path)}`);
    }

    const argv = separateArgv0 ? [] : [path];
    while (p < value.length) {
      // an unquoted ";" alone separates commands (a quoted one is an argument)
      if (value[p] === ';' && (p + 1 >= value.length || SEPARATORS.includes(value[p + 1]!))) {
        p++;
        while (p < value.length && SEPARATORS.includes(value[p]!)) p++;
        semicolon = true;
        break;
      }
      if (value[p] === '\\' && value[p + 1] === ';' && (p + 2 >= value.length || SEPARATORS.includes(value[p + 2]!))) {
        argv.push(';');
        p += 2;
        while (p < value.length && SEPARATORS.includes(value[p]!)) p++;
        continue;
      }
      const w = extractWordWarn(value, p, warnings);
      if (w === 'none') break;
      if (w === 'unbalanced') return refuse(`unbalanced quoting${ignoring}: ${JSON.stringify(value)}`);
      p = w.next;
      try {
        argv.push(resolve(w.word));
      } catch (err) {
        return refuse(`failed to resolve unit specifiers in ${JSON.stringify(w.word)}${ignoring}: ${(err as Error).message}`);
      }
    }
    if (argv.length === 0) return refuse(`empty executable name or zeroeth argument${ignoring}: ${JSON.stringify(value)}`);
    commands.push({ path: simplifyPath(path), argv, ignoreFailure, expandEnvironment, privileges });
  } while (semicolon);
  return { commands, warnings };
}

/** systemd's replace_env for one word: ${NAME} and $$; anything else stays as written. */
function replaceEnvInWord(word: string, env: Readonly<Record<string, string>>): string {
  let out = '';
  for (let i = 0; i < word.length; i++) {
    const c = word[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    const n = word[i + 1];
    if (n === '$') {
      out += '$';
      i++;
    } else if (n === '{') {
      const close = word.indexOf('}', i + 2);
      const name = close < 0 ? '' : word.slice(i + 2, close);
      if (close < 0 || name.includes(':')) {
        // unterminated, or a shell form systemd 252 does not expand in command lines
        const end = close < 0 ? word.length : close + 1;
        out += word.slice(i, end);
        i = end - 1;
      } else {
        out += Object.hasOwn(env, name) ? env[name] : '';
        i = close;
      }
    } else out += c;
  }
  return out;
}

/** Split a variable's value for "$NAME" as a whole word: blanks separate, quotes group. */
function splitValue(value: string): string[] {
  const words: string[] = [];
  let p = 0;
  for (;;) {
    const w = extractWord(value, p, { unquote: true, relax: true });
    if (w === 'none' || w === 'invalid') return words;
    words.push(w.word);
    p = w.next;
  }
}

/**
 * The argv to execute, after environment substitution with `env` (the unit's Environment=,
 * then its EnvironmentFile= contents, then the variables systemd adds: see systemd.exec(5)).
 */
export function expandCommandLine(command: ExecCommand, env: Readonly<Record<string, string>>): string[] {
  if (!command.expandEnvironment) return [...command.argv];
  const out: string[] = [];
  for (const word of command.argv) {
    if (word[0] === '$' && word[1] !== '{' && word[1] !== '$') {
      const name = word.slice(1);
      if (Object.hasOwn(env, name)) out.push(...splitValue(env[name]!));
      continue;
    }
    out.push(replaceEnvInWord(word, env));
  }
  return out;
}
