// Names and labels: what the seed APIs need (systemd unit names, fleet metadata), and nothing
// that could become a path trick.
import type { FieldError } from '../errors.js';

const NAME = /^[A-Za-z0-9\-_.:@\\]{1,256}$/;
const LABEL_KEY = /^[A-Za-z0-9._/-]{1,253}$/;

/** Why `name` is not a valid object name, or undefined when it is. */
export function nameProblem(name: string): string | undefined {
  if (name === '.' || name === '..') return `"${name}" is not allowed as a name`;
  if (name.length === 0) return 'the name is empty';
  if (name.length > 256) return `the name is ${name.length} characters long; the limit is 256`;
  if (!NAME.test(name)) {
    const bad = [...name].find((c) => !NAME.test(c));
    const shown = bad && /[\x00-\x1f\x7f]/.test(bad) ? `control character U+${bad.charCodeAt(0).toString(16).padStart(4, '0')}` : `"${bad}"`;
    return `the name "${printable(name)}" contains ${shown}; names use A-Z a-z 0-9 - _ . : @ \\`;
  }
  return undefined;
}

export function checkLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (!LABEL_KEY.test(k)) errs.push({ path: `${path}/${escapePointer(k)}`, message: 'label keys are 1–253 characters of A-Z a-z 0-9 . _ / -' });
    else if (v.length > 256) errs.push({ path: `${path}/${escapePointer(k)}`, message: `label values are at most 256 characters, got ${v.length}` });
  }
  return errs;
}

export function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function printable(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 80);
}
