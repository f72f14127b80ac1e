// The Warning header (RFC 7234 §5.5) on an answer served from this server's cache while the
// store could not vouch for it: warn-code 199 (miscellaneous), drover as the warn-agent, and a
// warn-text a person can act on. The CLI prints the warn-text; clients may show it likewise.

/** `199 drover "stale: …"` for an answer read while the store has been unreachable since `since`. */
export function staleWarning(since: Date): string {
  return `199 drover "stale: the store has been unreachable since ${since.toISOString()}; this answer may be out of date"`;
}
