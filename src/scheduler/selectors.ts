// machineSelector constraints, canonicalised once (keys sorted, values as sorted lists) so equal
// selectors share feasibility caches, and matched against a machine's labels.
import { labelValue } from '../model/meta.js';
import type { PlacementRequest } from './types.js';

type Selector = NonNullable<PlacementRequest['constraints']['machineSelector']>;
const NO_SELECTOR: [[string, string[]][], string] = [[], '[]'];
// Replicas of a service usually share their spec's selector object: canonicalise it once.
const canonical = new WeakMap<Selector, [[string, string[]][], string]>();

/** Keys sorted, each value a sorted list; and that as a string, the selector's cache key. */
export function canonicalSelector(sel: Selector | undefined): [[string, string[]][], string] {
  if (sel === undefined) return NO_SELECTOR;
  let found = canonical.get(sel);
  if (found === undefined) {
    const entries = Object.entries(sel)
      .map(([k, v]): [string, string[]] => [k, typeof v === 'string' ? [v] : [...new Set(v)].sort()])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    found = [entries, JSON.stringify(entries)];
    canonical.set(sel, found);
  }
  return found;
}

export function matchesSelector(selector: readonly [string, string[]][], labels: Record<string, string>): boolean {
  for (const [key, values] of selector) {
    const v = labelValue(labels, key);
    if (v === undefined || !values.includes(v)) return false;
  }
  return true;
}
