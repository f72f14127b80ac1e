// Environment= values and EnvironmentFile= contents, as systemd 252 reads them
// (config_parse_environ; parse_env_file_internal in env-file.c).
import { extractWord } from './exec.js';

/** env_name_is_valid: letters, digits and "_", not starting with a digit. */
export function isValidEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

export interface EnvironmentLine {
  /** NAME=value assignments in order (a later one for the same name replaces the earlier). */
  assignments: Array<[name: string, value: string]>;
  warnings: string[];
}

/**
 * One Environment= value: several NAME=value words, quoted as a whole or in part
 * ("A=1 2" 'B=x' C="y"), with C escapes. Invalid assignments are skipped with a warning; a
 * quoting error stops the line there (what came before it stays), as in systemd.
 * `resolve` expands specifiers in each word and throws when it cannot.
 */
export function parseEnvironmentValue(value: string, resolve: (word: string) => string = (w) => w): EnvironmentLine {
  const assignments: Array<[string, string]> = [];
  const warnings: string[] = [];
  let p = 0;
  for (;;) {
    const w = extractWord(value, p, { unquote: true, cunescape: true });
    if (w === 'none') break;
    if (w === 'invalid') {
      warnings.push(`invalid syntax, ignoring: ${JSON.stringify(value)}`);
      break;
    }
    p = w.next;
    let word: string;
    try {
      word = resolve(w.word);
    } catch (err) {
      warnings.push(`failed to resolve specifiers in ${JSON.stringify(w.word)}, ignoring: ${(err as Error).message}`);
      continue;
    }
    const eq = word.indexOf('=');
    if (eq < 0 || !isValidEnvName(word.slice(0, eq))) {
      warnings.push(`invalid environment assignment, ignoring: ${JSON.stringify(word)}`);
      continue;
    }
    assignments.push([word.slice(0, eq), word.slice(eq + 1)]);
  }
  return { assignments, warnings };
}

export interface EnvironmentFileContents {
  env: Record<string, string>;
  warnings: string[];
}

const NEWLINE = '\n\r';
const WHITESPACE = ' \t\n\r';
const SHELL_NEED_ESCAPE = '"\\`$';

/**
 * The variables an EnvironmentFile= file sets: KEY=VALUE lines; # or ; comments (a comment
 * ending in a backslash also swallows the next line); values unquoted, 'single' (literal) or
 * "double" (\" \\ \` \$ unescaped, other backslashes kept); a backslash-newline continues an
 * unquoted or double-quoted value; blanks around keys and trailing blanks of unquoted values are
 * dropped. Lines whose key is not a valid variable name are skipped with a warning.
 */
export function parseEnvironmentFile(text: string): EnvironmentFileContents {
  type State = 'preKey' | 'key' | 'preValue' | 'value' | 'valueEscape' | 'single' | 'double' | 'doubleEscape' | 'comment' | 'commentEscape';
  const env: Record<string, string> = {};
  const warnings: string[] = [];
  let state: State = 'preKey';
  let key = '';
  let value = '';
  let keyBlankAt = -1; // where trailing blanks of the key start
  let valueBlankAt = -1; // where trailing blanks of an unquoted value start
  let line = 1;

  const push = (chompValue: boolean) => {
    const k = keyBlankAt >= 0 ? key.slice(0, keyBlankAt) : key;
    const v = chompValue && valueBlankAt >= 0 ? value.slice(0, valueBlankAt) : value;
    if (isValidEnvName(k)) env[k] = v;
    else warnings.push(`line ${line}: invalid environment variable name ${JSON.stringify(k)}, ignoring`);
    key = '';
    value = '';
  };

  for (const c of text) {
    switch (state) {
      case 'preKey':
        if (c === '#' || c === ';') state = 'comment';
        else if (!WHITESPACE.includes(c)) {
          state = 'key';
          keyBlankAt = -1;
          key = c;
        } else if (c === '\n') line++;
        break;
      case 'key':
        if (NEWLINE.includes(c)) {
          warnings.push(`line ${line}: missing "=" after ${JSON.stringify(key.trim())}, ignoring`);
          state = 'preKey';
          line++;
          key = '';
        } else if (c === '=') {
          state = 'preValue';
          valueBlankAt = -1;
        } else {
          if (!WHITESPACE.includes(c)) keyBlankAt = -1;
          else if (keyBlankAt < 0) keyBlankAt = key.length;
          key += c;
        }
        break;
      case 'preValue':
        if (NEWLINE.includes(c)) {
          push(false);
          state = 'preKey';
          line++;
        } else if (c === "'") state = 'single';
        else if (c === '"') state = 'double';
        else if (c === '\\') state = 'valueEscape';
        else if (!WHITESPACE.includes(c)) {
          state = 'value';
          value += c;
        }
        break;
      case 'value':
        if (NEWLINE.includes(c)) {
          push(true);
          state = 'preKey';
          line++;
        } else if (c === '\\') {
          state = 'valueEscape';
          valueBlankAt = -1;
        } else {
          if (!WHITESPACE.includes(c)) valueBlankAt = -1;
          else if (valueBlankAt < 0) valueBlankAt = value.length;
          value += c;
        }
        break;
      case 'valueEscape':
        state = 'value';
        if (!NEWLINE.includes(c)) value += c;
        else line++;
        break;
      case 'single':
        if (c === "'") state = 'preValue';
        else value += c;
        break;
      case 'double':
        if (c === '"') state = 'preValue';
        else if (c === '\\') state = 'doubleEscape';
        else value += c;
        break;
      case 'doubleEscape':
        state = 'double';
        if (SHELL_NEED_ESCAPE.includes(c)) value += c;
        else if (c !== '\n') value += `\\${c}`;
        else line++;
        break;
      case 'comment':
        if (c === '\\') state = 'commentEscape';
        else if (NEWLINE.includes(c)) {
          state = 'preKey';
          line++;
        }
        break;
      case 'commentEscape':
        state = 'comment';
        break;
    }
  }
  if (state === 'preValue' || state === 'single' || state === 'double' || state === 'doubleEscape') push(false);
  else if (state === 'value' || state === 'valueEscape') push(state === 'value');
  return { env, warnings };
}
