// Label selectors in Kubernetes syntax (`a=b,c!=d,e in (x,y),f notin (z),g,!h`) and field
// selectors (`spec.machine=m1,status.phase!=Running`). Pure: parse once, match many.
import { labelValue } from '../model/meta.js';

export type Requirement =
  | { key: string; op: 'in'; values: string[] }
  | { key: string; op: 'notin'; values: string[] }
  | { key: string; op: 'exists' }
  | { key: string; op: '!exists' };

export type LabelSelector = Requirement[];

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export class SelectorError extends Error {
  override name = 'SelectorError';
}

const KEY = /^[A-Za-z0-9._/-]+$/;

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.trim());
}

function checkKey(key: string, term: string): string {
  if (!KEY.test(key)) throw new SelectorError(`bad label key "${key}" in "${term}": keys use A-Z a-z 0-9 . _ / -`);
  return key;
}

export function parseLabelSelector(input: string): LabelSelector {
  const text = input.trim();
  if (text === '') return [];
  const reqs: LabelSelector = [];
  for (const term of splitTop(text)) {
    if (term === '') throw new SelectorError(`empty term in label selector "${input}"`);
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^(\S+?)\s+(in|notin)\s*\((.*)\)$/))) {
      const values = m[3]!.split(',').map((v) => v.trim());
      if (values.some((v) => v === '')) throw new SelectorError(`empty value in "${term}"`);
      reqs.push({ key: checkKey(m[1]!, term), op: m[2] as 'in' | 'notin', values });
    } else if ((m = term.match(/^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/))) {
      const key = checkKey(m[1]!, term);
      reqs.push({ key, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!.trim()] });
    } else if ((m = term.match(/^!\s*(\S+)$/))) {
      reqs.push({ key: checkKey(m[1]!, term), op: '!exists' });
    } else if (KEY.test(term)) {
      reqs.push({ key: term, op: 'exists' });
    } else {
      throw new SelectorError(`cannot parse "${term}": use key=value, key!=value, key in (a,b), key notin (a,b), key or !key`);
    }
  }
  return reqs;
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const r of selector) {
    const v = labelValue(labels, r.key);
    switch (r.op) {
      case 'in':
        if (v === undefined || !r.values.includes(v)) return false;
        break;
      case 'notin':
        if (v !== undefined && r.values.includes(v)) return false;
        break;
      case 'exists':
        if (v === undefined) return false;
        break;
      case '!exists':
        if (v !== undefined) return false;
        break;
    }
  }
  return true;
}

/** Parses `field=value,field!=value`; `known` lists the fields the kind supports. */
export function parseFieldSelector(input: string, known: readonly string[]): FieldRequirement[] {
  const text = input.trim();
  if (text === '') return [];
  return text.split(',').map((raw) => {
    const term = raw.trim();
    const m = term.match(/^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw new SelectorError(`cannot parse "${term}": use field=value or field!=value`);
    const field = m[1]!;
    if (!known.includes(field)) {
      throw new SelectorError(`field "${field}" is not selectable; selectable fields: ${known.join(', ')}`);
    }
    return { field, op: m[2] === '!=' ? '!=' : '=', value: m[3]!.trim() };
  });
}
