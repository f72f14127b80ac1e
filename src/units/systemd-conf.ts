// How systemd 252 reads a unit file (src/shared/conf-parser.c), which is what happens to a fleet
// unit: fleet's agent writes the serialized options to a file and systemd loads it. So the
// options are serialized (parse.ts) and read back here, which settles continuation lines, comment
// lines, stray text and duplicate sections exactly as systemd would:
// - "\n", "\r\n", "\r" and NUL end lines; a leading UTF-8 byte order mark is skipped;
// - a line whose first non-blank character is # or ; is a comment, even inside a continuation;
// - a line ending in an unescaped backslash continues: the backslash becomes a space and the next
//   line is appended;
// - "[Name]" opens a section (the whole trimmed line must end in "]", else the unit fails to load);
//   unknown sections are skipped, with a warning unless their name starts with "X-";
// - "Key=Value" is split at the first "=", both sides trimmed; a line without "=", or with nothing
//   before it, or outside a section is skipped with a warning.
import { UnitFileError, type UnitWarning } from './errors.js';

export interface UnitAssignment {
  section: string;
  name: string;
  value: string;
  /** Line of the assignment's last physical line, as systemd reports it. */
  line: number;
}

const WHITESPACE = ' \t\n\r';

function strip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && WHITESPACE.includes(s[a]!)) a++;
  while (b > a && WHITESPACE.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/** systemd's string_is_safe: no control characters, quotes or backslashes. */
export function isSafeString(s: string): boolean {
  return !/[\x00-\x1f\x7f'"\\]/.test(s);
}

export function readUnitText(text: string, knownSections: readonly string[]): { assignments: UnitAssignment[]; warnings: UnitWarning[] } {
  const assignments: UnitAssignment[] = [];
  const warnings: UnitWarning[] = [];
  const lines = text.split(/\r\n|\r|\n|\0/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();

  let section: string | undefined;
  let sectionIgnored = false;
  let continuation: string | undefined;

  const parseLine = (raw: string, line: number) => {
    const l = strip(raw);
    if (l === '' || l[0] === '#' || l[0] === ';') return;
    if (l[0] === '[') {
      if (l[l.length - 1] !== ']') {
        throw new UnitFileError(`line ${line}: invalid section header ${JSON.stringify(l)}: it must be "[Name]" alone on its line`, { line, loadState: 'error' });
      }
      const name = l.slice(1, -1);
      if (!isSafeString(name)) {
        throw new UnitFileError(`line ${line}: bad characters in section header ${JSON.stringify(l)}`, { line, loadState: 'error' });
      }
      if (knownSections.includes(name)) {
        section = name;
        sectionIgnored = false;
      } else {
        if (!name.startsWith('X-')) warnings.push({ line, section: name, name: '', message: `unknown section [${name}], ignoring` });
        section = undefined;
        sectionIgnored = true;
      }
      return;
    }
    if (section === undefined) {
      if (!sectionIgnored) warnings.push({ line, section: '', name: '', message: 'assignment outside of any section, ignoring' });
      return;
    }
    const eq = l.indexOf('=');
    if (eq < 0) {
      warnings.push({ line, section, name: '', message: `missing "=" in ${JSON.stringify(l)}, ignoring the line` });
      return;
    }
    if (eq === 0) {
      warnings.push({ line, section, name: '', message: `missing key name before "=" in ${JSON.stringify(l)}, ignoring the line` });
      return;
    }
    assignments.push({ section, name: strip(l.slice(0, eq)), value: strip(l.slice(eq + 1)), line });
  };

  let lineNo = 0;
  for (let raw of lines) {
    lineNo++;
    const first = raw.replace(/^[ \t\n\r]+/, '')[0];
    if (first === '#' || first === ';') continue;
    if (lineNo === 1 && raw.startsWith('\uFEFF')) raw = raw.slice(1);
    const p = continuation === undefined ? raw : continuation + raw;
    let escaped = false;
    for (const ch of p) escaped = escaped ? false : ch === '\\';
    if (escaped) {
      continuation = `${p.slice(0, -1)} `;
      continue;
    }
    continuation = undefined;
    parseLine(p, lineNo);
  }
  if (continuation !== undefined) parseLine(continuation, lineNo);
  return { assignments, warnings };
}
