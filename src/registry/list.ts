// Lists, page by page. A first page is current (on etcd, after a quorum read) and is served from
// the watch cache; a later page is read at its first page's revision — from the cache while it
// is still there, else from the store's history (410 Gone once that is compacted).
import { BadRequest, Gone } from '../errors.js';
import type { AnyObject } from '../model/index.js';
import type { Resources } from '../state/resources.js';
import type { State } from '../state/state.js';
import type { WatchCache, WatchFilter } from '../state/watch-cache.js';

export interface PagePosition {
  /** Revision of the snapshot the list is served from. */
  revision: number;
  /** Last key ("namespace/name", or the name of a cluster-wide object) of the previous page. */
  after: string;
}

export interface ListRequest {
  filter: WatchFilter;
  /** Page size; Infinity for all. */
  limit: number;
  /** Where the previous page ended (a page token), for later pages. */
  page?: PagePosition;
  /** The list must be at least this current (?revision=). */
  minRevision?: number;
}

export interface ListPage {
  revision: number;
  /** Set when the store could not vouch for the cache the page came from: unreachable since then. */
  staleSince?: Date;
  /** Each item's JSON encoding. */
  items: Buffer[];
  /** Where the next page starts, when there is one. */
  next?: PagePosition;
}

export async function listPage(state: State, repo: Resources, req: ListRequest): Promise<ListPage> {
  const cache = repo.cache;
  const token = req.page;
  // A first page is current; a later one is read at its token's revision, which another server
  // may have issued before this cache got there.
  const { revision: current, staleSince } = !token || token.revision > cache.revision ? await state.freshRevision(repo.info.plural) : { revision: cache.revision, staleSince: undefined };
  if (token && token.revision > current) {
    throw new BadRequest('invalid pageToken: it names a revision this server has not reached; pass the nextPageToken of the previous page unchanged');
  }
  if (req.minRevision !== undefined && req.minRevision > current) {
    throw new BadRequest(`parameter revision ${req.minRevision} is newer than the server's current revision ${current}`);
  }
  let revision = cache.revision;
  let items: Buffer[] = [];
  let lastName: string | undefined;
  let more = false;
  if (!token || token.revision === cache.revision) {
    for (const e of cache.select(req.filter, token?.after)) {
      if (items.length === req.limit) {
        more = true;
        break;
      }
      items.push(e.encode());
      lastName = cache.keyOf(e.object);
    }
  } else {
    // A later page of a list whose snapshot has moved on: read the store as of the token's revision.
    revision = token.revision;
    ({ items, lastName, more } = await pageFromStore(repo, cache, req.filter, token.revision, token.after, req.limit));
  }
  return { revision, items, staleSince, ...(more && lastName !== undefined ? { next: { revision, after: lastName } } : {}) };
}

async function pageFromStore(
  repo: Resources,
  cache: WatchCache,
  filter: WatchFilter,
  revision: number,
  after: string,
  limit: number,
): Promise<{ items: Buffer[]; lastName?: string; more: boolean }> {
  const items: Buffer[] = [];
  let lastName: string | undefined;
  let cursor = after;
  try {
    for (;;) {
      const chunk = Math.min(Number.isFinite(limit) ? limit + 1 : 1000, 1000);
      const page = await repo.pageAt(revision, cursor, chunk);
      for (const obj of page.objects as AnyObject[]) {
        cursor = cache.keyOf(obj);
        if (!cache.matches(filter, obj)) continue;
        if (items.length === limit) return { items, lastName, more: true };
        items.push(Buffer.from(JSON.stringify(obj)));
        lastName = cursor;
      }
      if (!page.more) return { items, lastName, more: false };
    }
  } catch (err) {
    if (err instanceof Gone) throw new Gone(`the list snapshot at revision ${revision} has expired; list again without pageToken`);
    throw err;
  }
}
