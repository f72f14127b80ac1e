// Transaction compare evaluation against a key's current state, with etcd's rules for a key
// that does not exist: its revisions, version and lease are 0, and any value compare fails
// (etcd cannot tell a missing value from an empty one, so it never claims either).

import type { Compare, KeyValue } from './store.js';

export function compareHolds(kv: KeyValue | undefined, compare: Compare): boolean {
  let actual: number | string;
  switch (compare.target) {
    case 'value':
      if (!kv) return false;
      actual = kv.value;
      break;
    case 'modRevision':
      actual = kv?.modRevision ?? 0;
      break;
    case 'createRevision':
      actual = kv?.createRevision ?? 0;
      break;
    case 'version':
      actual = kv?.version ?? 0;
      break;
    case 'lease':
      actual = kv?.lease ?? 0;
      break;
  }
  const expected = compare.value;
  switch (compare.op) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '<':
      return actual < expected;
    case '>':
      return actual > expected;
  }
}
