// Unit files ⇄ unit options, exactly as fleet reads and writes them.
//
// fleet (fleetctl submit, the API's option validation) reads unit files with go-systemd's
// unit.Deserialize and writes them (fleetctl cat, the file the agent hands to systemd, the hash)
// with unit.Serialize. Both are reproduced here, quirks included, because the serialized bytes
// are hashed and compared (fleet's api/units.go answers 201 or 204 by comparing hashes):
// - text before the first [Section] is skipped silently, and so is a line that is only a
//   comment (# or ;); a comment ending in a backslash continues onto the next line;
// - a section name is everything between "[" and the next "]", untrimmed;
// - an option is "Name=Value": the name and the value are trimmed, the value may be empty;
// - a value ending in a backslash continues on the next line, and the backslash and the newline
//   stay in the value (systemd, reading the file fleet writes, joins the lines itself);
// - a line of 2048 bytes or more is refused (go-systemd peeks 2048 bytes through its
//   bufio.Reader between lexing steps; the reader is emulated so the same inputs fail).
import type { UnitOption } from '../model/index.js';
import { UnitFileError } from './errors.js';
import { goDecodeRune, goFullRune, goTrimSpace, isGoSpace } from './gostrings.js';

export { UnitFileError } from './errors.js';

/** go-systemd's SYSTEMD_LINE_MAX. */
export const LINE_MAX_BYTES = 2048;
const BUFIO_SIZE = 4096; // bufio.NewReader's default size
const utf8 = new TextDecoder('utf-8');

export interface UnitFileNotice {
  line: number;
  message: string;
}

export interface ParseUnitFileOptions {
  /**
   * Refuse what fleet silently accepts: text outside any section, an empty or multi-line section
   * name, an option with an empty name. Default false: read exactly what fleet reads.
   */
  strict?: boolean;
  /** Told (once per line) about text fleet skips silently, when not strict. */
  onWarning?: (notice: UnitFileNotice) => void;
}

/** Parse a unit file into options, in file order, as fleetctl does before submitting it. */
export function parseUnitFile(text: string, opts: ParseUnitFileOptions = {}): UnitOption[] {
  return new Lexer(new TextEncoder().encode(text), opts).run();
}

/**
 * The unit file text fleet prints (`fleetctl cat`), hashes and writes for systemd: options grouped
 * by section in order of first appearance, "Name=Value" lines, a blank line between sections.
 */
export function serializeUnit(options: readonly UnitOption[]): string {
  const bySection = new Map<string, UnitOption[]>();
  for (const option of options) {
    const list = bySection.get(option.section);
    if (list) list.push(option);
    else bySection.set(option.section, [option]);
  }
  const sections: string[] = [];
  for (const [section, list] of bySection) {
    sections.push(`[${section}]\n${list.map((o) => `${o.name}=${o.value}\n`).join('')}`);
  }
  return sections.join('\n');
}

/** Go's bufio.Reader over an in-memory source, down to when it refills (see the header). */
class BufReader {
  private readonly buf = new Uint8Array(BUFIO_SIZE);
  private r = 0;
  private w = 0;
  private taken = 0; // bytes moved from the source into the buffer
  private atEof = false;
  private lastRuneSize = -1;

  constructor(private readonly src: Uint8Array) {}

  buffered(): number {
    return this.w - this.r;
  }

  /** Offset in the source of the next unread byte. */
  offset(): number {
    return this.taken - this.buffered();
  }

  private fill(): void {
    if (this.r > 0) {
      this.buf.copyWithin(0, this.r, this.w);
      this.w -= this.r;
      this.r = 0;
    }
    const n = Math.min(BUFIO_SIZE - this.w, this.src.length - this.taken);
    if (n === 0) {
      this.atEof = true; // strings.Reader answers (0, io.EOF) once drained
      return;
    }
    this.buf.set(this.src.subarray(this.taken, this.taken + n), this.w);
    this.w += n;
    this.taken += n;
  }

  /** A code point, or undefined at the end of the input. */
  readRune(): number | undefined {
    while (this.r + 4 > this.w && !goFullRune(this.buf, this.r, this.w) && !this.atEof && this.buffered() < BUFIO_SIZE) {
      this.fill();
    }
    this.lastRuneSize = -1;
    if (this.r === this.w) return undefined;
    const [cp, size] = goDecodeRune(this.buf, this.r, this.w);
    this.r += size;
    this.lastRuneSize = size;
    return cp;
  }

  unreadRune(): void {
    this.r -= this.lastRuneSize;
    this.lastRuneSize = -1;
  }

  /** Bytes up to and including `delim`; `found` is false when the input ended first. */
  readBytes(delim: number): { bytes: Uint8Array; found: boolean } {
    const parts: Uint8Array[] = [];
    let from = 0;
    for (;;) {
      const i = this.buf.subarray(this.r + from, this.w).indexOf(delim);
      if (i >= 0) {
        const end = this.r + from + i + 1;
        parts.push(this.buf.slice(this.r, end));
        this.r = end;
        return { bytes: concat(parts), found: true };
      }
      if (this.atEof) {
        parts.push(this.buf.slice(this.r, this.w));
        this.r = this.w;
        return { bytes: concat(parts), found: false };
      }
      if (this.buffered() >= BUFIO_SIZE) {
        parts.push(this.buf.slice(this.r, this.w)); // bufio.ErrBufferFull: ReadBytes keeps going
        this.r = this.w;
        from = 0;
        continue;
      }
      from = this.w - this.r;
      this.fill();
    }
  }

  /** The next n bytes; only called when at least n are buffered, as go-systemd does. */
  peekBuffered(n: number): Uint8Array {
    return this.buf.subarray(this.r, this.r + n);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const NL = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const isComment = (cp: number) => cp === 0x23 /* # */ || cp === 0x3b; /* ; */

type Step = () => Step | undefined;

/** go-systemd's lexer: the same steps, so the line-length check runs at the same points. */
class Lexer {
  private readonly in: BufReader;
  private readonly options: UnitOption[] = [];
  private lastWarnedLine = 0;

  constructor(
    private readonly src: Uint8Array,
    private readonly opts: ParseUnitFileOptions,
  ) {
    this.in = new BufReader(src);
  }

  run(): UnitOption[] {
    let next: Step | undefined = this.nextSection;
    while (next) {
      if (this.in.buffered() >= LINE_MAX_BYTES) {
        const ahead = this.in.peekBuffered(LINE_MAX_BYTES);
        if (!ahead.includes(NL) && !ahead.includes(CR)) {
          const line = this.lineAt(this.in.offset());
          throw new UnitFileError(
            `line ${line} is too long: fleet and systemd read at most ${LINE_MAX_BYTES - 1} bytes per line; continue it on the next line after a trailing backslash`,
            { line, fleetMessage: `line too long (max ${LINE_MAX_BYTES} bytes)`, loadState: 'error' },
          );
        }
      }
      next = next();
    }
    return this.options;
  }

  private lineAt(offset: number): number {
    let line = 1;
    for (let i = 0; i < offset && i < this.src.length; i++) if (this.src[i] === NL) line++;
    return line;
  }

  /** Reads to the end of the line: the line without "\n" (or a final "\r"), and whether the input ended. */
  private toEOL(): { line: Uint8Array; eof: boolean } {
    const { bytes, found } = this.in.readBytes(NL);
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CR) end--;
    else if (end > 0 && bytes[end - 1] === NL) end--;
    return { line: bytes.subarray(0, end), eof: !found };
  }

  private outsideSection(offset: number): void {
    const line = this.lineAt(offset);
    if (line === this.lastWarnedLine) return;
    this.lastWarnedLine = line;
    const message = `line ${line} is outside any section; fleet ignores it (put options under a header such as [Service])`;
    if (this.opts.strict) throw new UnitFileError(message, { line, loadState: 'error' });
    this.opts.onWarning?.({ line, message });
  }

  private readonly nextSection: Step = () => {
    const start = this.in.offset();
    const cp = this.in.readRune();
    if (cp === undefined) return undefined;
    if (cp === 0x5b /* [ */) return this.sectionName;
    if (isComment(cp)) return this.ignoreLine(this.nextSection);
    if (!isGoSpace(cp) && cp !== 0xfeff /* a byte order mark */) this.outsideSection(start);
    return this.nextSection;
  };

  private readonly sectionName: Step = () => {
    const open = this.in.offset() - 1;
    const { bytes, found } = this.in.readBytes(0x5d /* ] */);
    const line = this.lineAt(open);
    if (!found) {
      throw new UnitFileError(`line ${line}: the section header has no closing "]"`, {
        line,
        fleetMessage: 'unable to find end of section',
        loadState: 'error',
      });
    }
    const name = utf8.decode(bytes.subarray(0, bytes.length - 1));
    if (this.opts.strict && (name === '' || /[\r\n]/.test(name))) {
      throw new UnitFileError(`line ${line}: a section name must be non-empty and on one line, got "[${name}]"`, { line, loadState: 'error' });
    }
    return this.sectionSuffix(name);
  };

  private sectionSuffix(section: string): Step {
    return () => {
      const line = this.lineAt(this.in.offset());
      const garbage = goTrimSpace(utf8.decode(this.toEOL().line));
      if (garbage.length > 0) {
        // go-systemd prints the (never set) current section and the garbage as a byte list
        const bytes = [...new TextEncoder().encode(garbage)].join(' ');
        throw new UnitFileError(`line ${line}: unexpected text ${JSON.stringify(garbage)} after the section header [${section}]`, {
          line,
          fleetMessage: `found garbage after section name : [${bytes}]`,
          loadState: 'error',
        });
      }
      return this.nextSectionOrOption(section);
    };
  }

  private ignoreLine(next: Step): Step {
    return () => {
      for (;;) {
        let { line } = this.toEOL();
        if (line.length > 0 && line[line.length - 1] === 0x20) line = line.subarray(0, line.length - 1);
        if (line.length === 0 || line[line.length - 1] !== BACKSLASH) return next;
      }
    };
  }

  private nextSectionOrOption(section: string): Step {
    const step: Step = () => {
      const cp = this.in.readRune();
      if (cp === undefined) return undefined;
      if (isGoSpace(cp)) return step;
      if (cp === 0x5b) return this.sectionName;
      if (isComment(cp)) return this.ignoreLine(step);
      this.in.unreadRune();
      return this.optionName(section);
    };
    return step;
  }

  private optionName(section: string): Step {
    return () => {
      const start = this.in.offset();
      let raw = '';
      for (;;) {
        const cp = this.in.readRune();
        if (cp === undefined || cp === NL || cp === CR) {
          const line = this.lineAt(start);
          const text = goTrimSpace(raw);
          throw new UnitFileError(`line ${line}: ${JSON.stringify(text)} is not an option: expected Name=Value`, {
            line,
            fleetMessage: cp === undefined ? 'EOF' : 'unexpected newline encountered while parsing option name',
            loadState: 'error',
          });
        }
        if (cp === 0x3d /* = */) break;
        raw += String.fromCodePoint(cp);
      }
      const name = goTrimSpace(raw);
      if (this.opts.strict && name === '') {
        const line = this.lineAt(start);
        throw new UnitFileError(`line ${line}: an option has no name before "="`, { line, loadState: 'error' });
      }
      return this.optionValue(section, name, []);
    };
  }

  private optionValue(section: string, name: string, partial: Uint8Array[]): Step {
    return () => {
      const { line, eof } = this.toEOL();
      if (goTrimSpace(utf8.decode(line)).length > 0) {
        partial.push(line);
        if (line[line.length - 1] === BACKSLASH) {
          if (!eof) partial.push(Uint8Array.of(NL));
          return this.optionValue(section, name, partial);
        }
      }
      const raw = utf8.decode(concat(partial.length ? partial : [new Uint8Array(0)]));
      // a continuation followed by a blank line keeps its newline
      const value = raw.endsWith('\n') ? `${goTrimSpace(raw)}\n` : goTrimSpace(raw);
      this.options.push({ section, name, value });
      return this.nextSectionOrOption(section);
    };
  }
}
