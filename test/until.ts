// Waiting on a condition with a deadline, for every test: test/helpers.ts re-exports it, and the
// store conformance suite (src/store/conformance.ts, shared by the SQLite and etcd tests) imports
// it from here. It imports nothing, so the conformance suite does not load a server to get it.

/** What `until` resolves with: a value `if (v)` accepts. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * Resolves with fn()'s first truthy value; fails with `what` after the deadline. Polls with a
 * back-off from 5 ms to 100 ms; a throw counts as "not yet", and the last one is in the message.
 * `what` may be a function, asked at the deadline: to say what was still missing.
 */
export async function until<T>(fn: () => T | Promise<T>, what: string | (() => string), timeoutMs = 10_000): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      // A probe that never settles (a request the server never answers) fails 30 s past the
      // deadline, saying so, instead of holding the test until the runner's file timeout.
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('a probe had not settled 30 s after the deadline')), Math.max(deadline - Date.now(), 0) + 30_000);
      });
      const v = await Promise.race([fn(), hung]).finally(() => clearTimeout(timer));
      if (v) return v as Truthy<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}
