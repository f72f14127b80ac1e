// Comparing objects as JSON documents: what a write changes, whatever order its keys came in.
import { isDeepStrictEqual } from 'node:util';

/**
 * Equal as JSON documents: key order does not matter (a client may send keys in any order),
 * undefined fields are absent. Compared in place: serialising and parsing both sides on every
 * update was ~4% of the server's CPU under a flood of status reports.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || hasToJson(a) || hasToJson(b)) {
    return isDeepStrictEqual(JSON.parse(JSON.stringify(a) ?? 'null'), JSON.parse(JSON.stringify(b) ?? 'null'));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(inArray(a[i]), inArray(b[i]))) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let present = 0;
  for (const k in x) {
    if (!Object.hasOwn(x, k) || absent(x[k])) continue;
    present++;
    if (!Object.hasOwn(y, k) || absent(y[k]) || !sameJson(x[k], y[k])) return false;
  }
  for (const k in y) if (Object.hasOwn(y, k) && !absent(y[k])) present--;
  return present === 0;
}

/** JSON leaves these fields out of an object. */
function absent(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

/** ...and writes these as null in an array. */
function inArray(v: unknown): unknown {
  return absent(v) ? null : v;
}

function hasToJson(v: object): boolean {
  return typeof (v as { toJSON?: unknown }).toJSON === 'function';
}
