// etcd's range convention, shared by reads, deletes and watches: `end` omitted (or '') means the
// key alone, '\0' means every key >= key, anything else is the exclusive upper bound.
// Keys compare as JS strings (UTF-16 code units); etcd compares UTF-8 bytes. The two orders differ
// only between astral characters and U+E000–U+FFFF, which drover keys do not mix.

export function isSingleKey(end: string | undefined): end is undefined | '' {
  return end === undefined || end === '';
}

export function isUnbounded(end: string | undefined): boolean {
  return end === '\0';
}

/** Whether `key` falls in [start, end) under etcd's convention. */
export function isInRange(key: string, start: string, end: string | undefined): boolean {
  if (isSingleKey(end)) return key === start;
  if (key < start) return false;
  return end === '\0' || key < end;
}
