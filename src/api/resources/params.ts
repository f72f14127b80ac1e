// Query parameters of lists, watches and waits. Every bad value is a 400 that names the
// parameter and says what would be accepted.
import { BadRequest } from '../../errors.js';
import type { PagePosition } from '../../registry/index.js';
import type { KindInfo } from '../../state/object.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from '../../state/selectors.js';
import type { WatchFilter } from '../../state/watch-cache.js';

export type Query = Record<string, string | string[] | undefined>;

export function single(q: Query, name: string): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) throw new BadRequest(`parameter ${name} is given ${v.length} times; give it once`);
  return v;
}

export function boolParam(q: Query, name: string): boolean {
  const v = single(q, name);
  if (v === undefined || v === 'false' || v === '0') return false;
  if (v === '' || v === 'true' || v === '1') return true;
  throw new BadRequest(`parameter ${name} must be true or false, got "${v}"`);
}

export function intParam(q: Query, name: string, min = 0): number | undefined {
  const v = single(q, name);
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw new BadRequest(`parameter ${name} must be an integer ≥ ${min}, got "${v}"`);
  }
  return Number(v);
}

/** "30s", "500ms", "2m", "1h" or plain seconds → milliseconds. */
export function durationParam(q: Query, name: string, maxMs: number): number | undefined {
  const v = single(q, name);
  if (v === undefined || v === '') return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v);
  if (!m) throw new BadRequest(`parameter ${name} must be a duration like 30s, 500ms or 2m, got "${v}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(m[1]) * unit;
  if (ms > maxMs) throw new BadRequest(`parameter ${name} is at most ${maxMs / 1000}s, got "${v}"`);
  return ms;
}

export function filterParams(q: Query, kind: KindInfo): WatchFilter {
  const filter: WatchFilter = {};
  const labels = single(q, 'labelSelector');
  const fields = single(q, 'fieldSelector');
  try {
    if (labels) filter.labels = parseLabelSelector(labels);
  } catch (err) {
    if (err instanceof SelectorError) throw new BadRequest(`invalid labelSelector: ${err.message}`);
    throw err;
  }
  try {
    if (fields) filter.fields = parseFieldSelector(fields, Object.keys(kind.fields));
  } catch (err) {
    if (err instanceof SelectorError) throw new BadRequest(`invalid fieldSelector: ${err.message}`);
    throw err;
  }
  return filter;
}

/** A page token: where the previous page ended, as {"r": revision, "k": last name} in base64url. */
export function encodePageToken(p: PagePosition): string {
  return Buffer.from(JSON.stringify({ r: p.revision, k: p.after })).toString('base64url');
}

export function pageTokenParam(q: Query): PagePosition | undefined {
  const v = single(q, 'pageToken');
  if (v === undefined || v === '') return undefined;
  try {
    const t = JSON.parse(Buffer.from(v, 'base64url').toString('utf8')) as { r: unknown; k: unknown };
    if (Number.isSafeInteger(t.r) && (t.r as number) > 0 && typeof t.k === 'string') return { revision: t.r as number, after: t.k };
  } catch {
    // fall through to the error below
  }
  throw new BadRequest('invalid pageToken: pass the nextPageToken of the previous page unchanged, or list again without it');
}
