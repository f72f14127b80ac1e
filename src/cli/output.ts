// Terminal output shared by the commands: aligned tables, ages, colour (only on a TTY, never
// with NO_COLOR), machine-readable formats and a progress line.
import { InvalidArgumentError } from 'commander';
import { stringify } from 'yaml';
import type { AnyObject } from '../model/index.js';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';
export const OUTPUT_FORMATS: OutputFormat[] = ['table', 'wide', 'json', 'yaml', 'name'];

export function parseFormat(v: string): OutputFormat {
  if (!(OUTPUT_FORMATS as string[]).includes(v)) throw new UsageError(`-o must be one of ${OUTPUT_FORMATS.join(', ')}, got "${v}"`);
  return v as OutputFormat;
}

/** A mistake on the command line: exit 2, like commander's own usage errors. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const isColourOn = (stream: NodeJS.WriteStream = process.stdout) =>
  !!stream.isTTY && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';

const paint = (code: number) => (s: string) => (isColourOn() ? `\x1b[${code}m${s}\x1b[0m` : s);
export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);
export const dim = paint(2);
export const bold = paint(1);

/** Colours a phase or status word by what it means (padding is applied before, colour after). */
export function colourState(s: string): string {
  if (/^(Running|Ready|Succeeded|running|active|True|created|configured)\b/.test(s)) return green(s);
  if (/^(Failed|Lost|NotReady|False|failed|inactive)\b/.test(s)) return red(s);
  if (/^(Pending|Scheduled|Starting|Stopping|Unknown|updating|starting|pending|paused|loaded)\b/.test(s)) return yellow(s);
  return s;
}

// C0 and C1 control characters and DEL: a label value carrying "\x1b]…" or "\r" must not move
// the cursor, retitle the terminal or hide a row.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** A value as it may reach a terminal: control characters shown as \xNN (or \n, \t, \r). */
export function printable(s: string): string {
  return s.replace(CONTROL, (c) => ({ '\n': '\\n', '\t': '\\t', '\r': '\\r' })[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Column widths for rows (header first), kept so streamed rows line up with the first batch. */
export function columnWidths(rows: string[][]): number[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, printable(cell).length)));
  return widths;
}

export function formatRow(row: string[], widths: number[], colourColumn?: number): string {
  return row
    .map(printable)
    .map((cell, i) => {
      const padded = i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? cell.length);
      return i === colourColumn ? padded.replace(cell, colourState(cell)) : padded;
    })
    .join('   ')
    .trimEnd();
}

/** Prints a table, kubectl style: upper-case header, columns three spaces apart. */
export function printTable(header: string[], rows: string[][], colourColumn?: number): number[] {
  const widths = columnWidths([header, ...rows]);
  console.log(formatRow(header, widths));
  for (const r of rows) console.log(formatRow(r, widths, colourColumn));
  return widths;
}

/** kubectl's short ages: 42s, 5m, 3h, 12d. */
export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

export function toJson(v: unknown): string {
  return JSON.stringify(v, null, 2) + '\n';
}

export function toYaml(v: unknown): string {
  return stringify(v, { lineWidth: 0 });
}

/** One object or a List in json/yaml. */
export function printDocument(v: unknown, format: 'json' | 'yaml'): void {
  process.stdout.write(format === 'json' ? toJson(v) : toYaml(v));
}

export function listOf(kind: string, items: AnyObject[]): { apiVersion: string; kind: string; items: AnyObject[] } {
  return { apiVersion: 'drover/v1', kind: `${kind}List`, items };
}

/**
 * A line that rewrites itself on a TTY (carriage return + clear) and prints each distinct
 * message once on its own line otherwise, so logs of CI runs stay readable.
 */
export class ProgressLine {
  private last = '';
  private readonly isTty: boolean;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.isTty = !!stream.isTTY;
  }
  update(message: string): void {
    if (message === this.last) return;
    this.last = message;
    if (this.isTty) this.stream.write(`\r\x1b[K${message}`);
    else this.stream.write(`${message}\n`);
  }
  /** Leaves the last message on screen and moves to a new line. */
  done(message?: string): void {
    if (message !== undefined) this.update(message);
    if (this.isTty && this.last) this.stream.write('\n');
    this.last = '';
  }
}

const warned = new Set<string>();

/** Prints a warning the server sent with an answer (see ClientOptions.onWarning) on stderr, once per command. */
export function printWarning(text: string): void {
  if (warned.has(text)) return;
  warned.add(text);
  process.stderr.write(`warning: ${text}\n`);
}

/** "1h", "90s", "500ms", "2m30s" → milliseconds. */
export function parseDuration(v: string, what = 'duration'): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let matched = 0;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  while ((m = re.exec(v))) {
    matched += m[0].length;
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms']!;
  }
  if (matched !== v.length || matched === 0) throw new UsageError(`${what} must look like 30s, 5m or 1h, got "${v}"`);
  return total;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Option parser for whole numbers (commander reports a bad value as a usage error). */
export function toInt(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected a whole number, got "${v}"`);
  return Number(v);
}
