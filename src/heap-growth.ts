// How far the V8 heap may grow past what the last full GC found live before the next one. Left to
// itself, V8 picks the factor, up to 4× on a machine with memory to spare: a server holding
// ~600 MB of live state (5,000 machines, 100,000 tasks) peaked at 1.4-1.6 GB RSS. A fixed
// factor, like Go's GOGC (100: collect when the heap has doubled), bounds the peak near twice the
// live state for a few more full GCs (whose marking runs mostly concurrently).
import { setFlagsFromString } from 'node:v8';

/** Percent past the live heap (GOGC's default); 0 leaves V8 to choose. */
export const DEFAULT_HEAP_GROWTH_PERCENT = 100;

/** Why `percent` is no heap growth, or undefined. */
export function heapGrowthProblem(percent: number): string | undefined {
  if (!Number.isInteger(percent) || percent < 0 || percent > 1000) return `heap growth must be a whole percent from 0 to 1000 (0: V8's own choice), got ${percent}`;
  return undefined;
}

/**
 * Sets the growth for this process (every isolate's next limit). V8 reads the flag whenever it
 * sets a heap limit after a full GC, so setting it once the process runs takes effect.
 */
export function setHeapGrowth(percent: number): void {
  const problem = heapGrowthProblem(percent);
  if (problem) throw new Error(problem);
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
