// Store failures as API errors, in one place: whatever calls the state layer (the registry,
// controllers, the system endpoints) sees the API's error catalog, never the store's classes.
import { ApiError, Gone, Unavailable } from '../errors.js';
import { CompactedError, NoSpaceError, StoreUnavailableError } from '../store/store.js';

/** Space is freed by deletes and compaction: worth a few seconds, not an immediate retry. */
const NO_SPACE_RETRY_SECONDS = 5;

/** The API error a store failure stands for; anything else is returned unchanged. */
export function fromStoreError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  if (err instanceof CompactedError) {
    return new Gone(`revision ${err.requestedRevision} has been compacted (history is kept after ${err.compactedRevision}); read again from the current state`);
  }
  // Its message says what ran out and what to do.
  if (err instanceof NoSpaceError) return new Unavailable(err.message, NO_SPACE_RETRY_SECONDS);
  if (err instanceof StoreUnavailableError) {
    const e = new ApiError('Unavailable', `the store is unavailable: ${err.message}; retry shortly`);
    e.headers['retry-after'] = '1';
    return e;
  }
  return err;
}

/** Runs a store call, turning its failures into API errors. */
export async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw fromStoreError(err);
  }
}
