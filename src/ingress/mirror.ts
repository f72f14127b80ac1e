// A kind's objects kept current by list + watch through the public API (the agents' way): the
// whole set after the first BOOKMARK, then each change; a resume the server cannot serve (410)
// starts over with a fresh list.
import type { ResourceClient } from '../client/client.js';
import { ApiError } from '../errors.js';
import type { AnyObject } from '../model/index.js';

export interface MirrorHandlers<T extends AnyObject> {
  replaceAll(all: T[]): void;
  set(obj: T): void;
  delete(obj: T): void;
  onError?(err: unknown): void;
}

/** Runs until `signal` aborts. */
export async function mirror<T extends AnyObject>(resource: ResourceClient<T>, h: MirrorHandlers<T>, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    let initial: T[] | undefined = [];
    try {
      for await (const ev of resource.watch({ signal })) {
        if (ev.type === 'BOOKMARK') {
          if (initial) h.replaceAll(initial);
          initial = undefined;
        } else if (initial) initial.push(ev.object);
        else if (ev.type === 'DELETED') h.delete(ev.object);
        else h.set(ev.object);
      }
    } catch (err) {
      if (signal.aborted) return;
      if (!(err instanceof ApiError && err.code === 410)) {
        h.onError?.(err);
        await new Promise((r) => setTimeout(r, 1_000 * (0.5 + Math.random())));
      }
    }
  }
}
