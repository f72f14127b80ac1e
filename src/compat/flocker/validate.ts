// Checks a request body against one of Flocker's input schemas and words each violation as
// Flocker's validator (Python's jsonschema 2.x, on Python 2) does, since clients and people read
// them: "u'junk' was unexpected", "'primary' is a required property". Only the draft 4 keywords
// Flocker's schemas use are understood; the rest of a schema is ignored, as jsonschema ignores
// unknown keywords.
import { DEFINITIONS, type JsonSchema } from './schema.js';

/** The messages for every violation, in the order the schema states its rules; empty when valid. */
export function schemaErrors(value: unknown, schema: JsonSchema): string[] {
  const out: string[] = [];
  check(value, schema, out);
  return out;
}

type Rule = (value: unknown, arg: unknown, schema: JsonSchema, out: string[]) => void;

function check(value: unknown, schema: JsonSchema, out: string[]): void {
  // Draft 4: a schema with $ref is the referenced one; its other keywords do not apply.
  if (typeof schema.$ref === 'string') return check(value, resolve(schema.$ref), out);
  for (const [keyword, arg] of Object.entries(schema)) RULES[keyword]?.(value, arg, schema, out);
}

function resolve(ref: string): JsonSchema {
  const target = DEFINITIONS[ref.slice(1)];
  if (!target) throw new Error(`schema reference ${ref} names no definition`);
  return target;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const chars = (s: string) => [...s].length;
const regex = (p: string) => new RegExp(p, 'u');

function isType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      return true;
  }
}

const RULES: Record<string, Rule> = {
  type: (v, arg, _s, out) => {
    const types = [arg as string | string[]].flat();
    if (!types.some((t) => isType(v, t))) out.push(`${py(v)} is not of type ${types.map(pySchema).join(', ')}`);
  },
  required: (v, arg, _s, out) => {
    if (!isObject(v)) return;
    for (const name of arg as string[]) if (!(name in v)) out.push(`${pySchema(name)} is a required property`);
  },
  properties: (v, arg, _s, out) => {
    if (!isObject(v)) return;
    for (const [name, sub] of Object.entries(arg as Record<string, JsonSchema>)) if (name in v) check(v[name], sub, out);
  },
  patternProperties: (v, arg, _s, out) => {
    if (!isObject(v)) return;
    for (const [pattern, sub] of Object.entries(arg as Record<string, JsonSchema>)) {
      for (const [k, item] of Object.entries(v)) if (regex(pattern).test(k)) check(item, sub, out);
    }
  },
  additionalProperties: (v, arg, schema, out) => {
    if (!isObject(v) || arg !== false) return;
    const known = Object.keys((schema.properties as object | undefined) ?? {});
    const patterns = Object.keys((schema.patternProperties as object | undefined) ?? {});
    const extras = Object.keys(v).filter((k) => !known.includes(k) && !patterns.some((p) => regex(p).test(k)));
    if (extras.length === 0) return;
    if (patterns.length > 0) {
      const sorted = [...extras].sort();
      out.push(`${sorted.map(py).join(', ')} ${sorted.length === 1 ? 'does' : 'do'} not match any of the regexes: ${patterns.sort().map(pySchema).join(', ')}`);
    } else {
      out.push(`Additional properties are not allowed (${extras.map(py).join(', ')} ${extras.length === 1 ? 'was' : 'were'} unexpected)`);
    }
  },
  maxProperties: (v, arg, _s, out) => {
    if (isObject(v) && Object.keys(v).length > (arg as number)) out.push(`${py(v)} has too many properties`);
  },
  minLength: (v, arg, _s, out) => {
    if (typeof v === 'string' && chars(v) < (arg as number)) out.push(`${py(v)} is too short`);
  },
  maxLength: (v, arg, _s, out) => {
    if (typeof v === 'string' && chars(v) > (arg as number)) out.push(`${py(v)} is too long`);
  },
  pattern: (v, arg, _s, out) => {
    if (typeof v === 'string' && !regex(arg as string).test(v)) out.push(`${py(v)} does not match ${pySchema(arg)}`);
  },
  minimum: (v, arg, _s, out) => {
    if (typeof v === 'number' && v < (arg as number)) out.push(`${py(v)} is less than the minimum of ${pySchema(arg)}`);
  },
  maximum: (v, arg, _s, out) => {
    if (typeof v === 'number' && v > (arg as number)) out.push(`${py(v)} is greater than the maximum of ${pySchema(arg)}`);
  },
  multipleOf: (v, arg, _s, out) => {
    if (typeof v === 'number' && v % (arg as number) !== 0) out.push(`${py(v)} is not a multiple of ${pySchema(arg)}`);
  },
  enum: (v, arg, _s, out) => {
    if (!(arg as unknown[]).includes(v)) out.push(`${py(v)} is not one of ${pySchema(arg)}`);
  },
  items: (v, arg, _s, out) => {
    if (Array.isArray(v)) for (const item of v) check(item, arg as JsonSchema, out);
  },
  minItems: (v, arg, _s, out) => {
    if (Array.isArray(v) && v.length < (arg as number)) out.push(`${py(v)} is too short`);
  },
  maxItems: (v, arg, _s, out) => {
    if (Array.isArray(v) && v.length > (arg as number)) out.push(`${py(v)} is too long`);
  },
  uniqueItems: (v, arg, _s, out) => {
    if (arg === true && Array.isArray(v) && new Set(v.map((i) => JSON.stringify(sortKeys(i)))).size !== v.length) out.push(`${py(v)} has non-unique elements`);
  },
  allOf: (v, arg, _s, out) => {
    for (const sub of arg as JsonSchema[]) check(v, sub, out);
  },
  oneOf: (v, arg, _s, out) => {
    const valid = (arg as JsonSchema[]).filter((sub) => schemaErrors(v, sub).length === 0).length;
    if (valid === 0) out.push(`${py(v)} is not valid under any of the given schemas`);
    else if (valid > 1) out.push(`${py(v)} is valid under more than one of the given schemas`);
  },
};

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObject(v)) return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
}

/** Python 2's repr of a decoded JSON value: its strings are unicode (u'…'). */
export function py(v: unknown): string {
  return pyRepr(v, 'u');
}

/** Python 2's repr of a value of the schema (YAML loads ASCII as str: '…'). */
function pySchema(v: unknown): string {
  return pyRepr(v, '');
}

function pyRepr(v: unknown, prefix: string): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v).includes('.') || String(v).includes('e') ? String(v) : `${v}.0`;
  if (typeof v === 'string') return prefix + pyString(v);
  if (Array.isArray(v)) return `[${v.map((i) => pyRepr(i, prefix)).join(', ')}]`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, i]) => `${prefix}${pyString(k)}: ${pyRepr(i, prefix)}`)
    .join(', ')}}`;
}

function pyString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code < 0x100)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x100 && code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else if (code >= 0x10000) out += `\\U${code.toString(16).padStart(8, '0')}`;
    else out += ch;
  }
  return quote + out + quote;
}
