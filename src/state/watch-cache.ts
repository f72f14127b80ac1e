// The watch cache of one kind, the Kubernetes way: the current objects (served for GET and
// list without touching the store), field indexes, and a bounded window of recent events so
// watchers can resume from a revision. Each event is encoded at most once per wire format
// (the memo), and fan-out goes only to watchers whose filters can match, using the same
// field indexes as lists.
import { objectKey } from '../model/meta.js';
import type { AnyObject, KindInfo } from './object.js';
import { matchesLabels, type FieldRequirement, type LabelSelector } from './selectors.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * A cached object with its JSON encoding and HTTP entity tag. The encoding is the store's own
 * text with the revision put in while the entry has it, from the write until its event has gone
 * to the watchers (two slices and the revision: nothing is stringified again); else
 * JSON.stringify's.
 */
export class Entry<T extends AnyObject = AnyObject> {
  private encoded?: Buffer;
  private tag?: string;
  /**
   * `bytes`: the object's stored size when known (history is bounded by it). `stored`: the
   * store's value of the object, exactly JSON.stringify of it without metadata.revision, which
   * the object has as the last key of its metadata (decode and the write path put it there).
   */
  constructor(
    readonly object: T,
    readonly bytes = 0,
    private storedText?: string,
  ) {}
  get stored(): string | undefined {
    return this.storedText;
  }
  /**
   * Drops the stored text once the event that wrote it has gone to its watchers, whose frames
   * were made from it: later readers (a list, a GET, a resumed watch) stringify the object, as
   * Kubernetes' watch cache does. Kept, the texts of the current objects were ~200 MB of a
   * server's heap at 100,000 tasks (each has two events): more than the tasks' parsed objects.
   */
  settle(): void {
    this.storedText = undefined;
  }
  /**
   * Drops the stored text (and kept JSON) of an entry a newer version or a deletion replaced:
   * only a resumed watch replaying the event that wrote it still needs its JSON, and
   * stringifies it then. Superseded versions held in history were a tenth of a big cluster's heap.
   */
  supersede(): void {
    this.storedText = undefined;
    this.encoded = undefined;
  }
  get revision(): number {
    return this.object.metadata.revision;
  }
  /** The JSON, kept: for single-object responses, which repeat (a GET of the same object is the hottest path). */
  get json(): Buffer {
    return (this.encoded ??= this.encode());
  }
  /**
   * The JSON, made for one use and not kept (a watch event's frame is kept once for all its
   * watchers; a list is sent once): the store holds the text, and a kept copy per object was a
   * large part of a big cluster's memory, cut from shared 8 KiB slabs that were each kept whole.
   */
  encode(): Buffer {
    return this.encoded ?? Buffer.from(this.text());
  }
  /** The JSON as text, made for one use (a watch frame is built from it in one buffer). */
  text(): string {
    const text = this.stored === undefined ? undefined : withRevision(this.stored, this.object.metadata.revision);
    return text ?? JSON.stringify(this.object);
  }
  /** `"<revision>"`, the ETag of every single-object response. */
  get etag(): string {
    return (this.tag ??= `"${this.object.metadata.revision}"`);
  }
}

/**
 * The stored JSON of an object with `"revision":N` as the last key of its metadata, as
 * JSON.stringify gives the cached object; undefined when the text has no metadata object.
 */
export function withRevision(stored: string, revision: number): string | undefined {
  const end = metadataEnd(stored);
  if (end < 0) return undefined;
  return `${stored.slice(0, end)}${stored.charCodeAt(end - 1) === 123 /* { */ ? '' : ','}"revision":${revision}${stored.slice(end)}`;
}

const QUOTE = 34;
const BACKSLASH = 92;

/** Index of the "}" that closes the top-level "metadata" object of JSON text `s`, or -1. */
function metadataEnd(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) {
      // At depth 1 a string followed by a colon is a key of the top-level object.
      if (depth === 1 && s.startsWith('"metadata":{', i)) return closing(s, i + 11);
      i = stringEnd(s, i);
    } else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
  }
  return -1;
}

/** Index of the bracket closing the object or array that opens at `start`. */
function closing(s: string, start: number): number {
  let depth = 0;
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(s, i);
    else if (c === 123 || c === 91) depth++;
    else if ((c === 125 || c === 93) && --depth === 0) return i;
  }
  return -1;
}

/** Index of the quote that ends the string opening at `start`. */
function stringEnd(s: string, start: number): number {
  let i = start + 1;
  for (let c = s.charCodeAt(i); c !== QUOTE && i < s.length; c = s.charCodeAt(++i)) if (c === BACKSLASH) i++;
  return i;
}

export class CacheEvent<T extends AnyObject = AnyObject> {
  /** Encodings of this event, keyed by format, shared by every watcher that wants that format. */
  private memo?: Map<string, Buffer>;
  constructor(
    readonly type: EventType,
    readonly revision: number,
    /** The object after the change; for DELETED the last state, stamped with the delete's revision. */
    readonly entry: Entry<T>,
    readonly prev: Entry<T> | undefined,
  ) {}
  get name(): string {
    return this.entry.object.metadata.name;
  }
  /** The encodings made so far (see memo), kept until the event has gone to its watchers. */
  frames(): Map<string, Buffer> {
    return (this.memo ??= new Map());
  }
  /**
   * Forgets the encodings once the event went to every live watcher: the history keeps events
   * for resumes, which are rare and encode again, and kept frames were a fifth of a big
   * cluster's heap (pooled slices holding whole 8 KiB slabs).
   */
  forgetFrames(): void {
    this.memo = undefined;
  }
  /** The object's key in its kind ("namespace/name", or the name of a cluster-wide object). */
  get key(): string {
    return this.entry.object.metadata.namespace === undefined ? this.name : `${this.entry.object.metadata.namespace}/${this.name}`;
  }
}

export interface WatchFilter {
  name?: string;
  /** Only objects of this namespace (namespaced kinds). */
  namespace?: string;
  /** Only objects of these namespaces: what a caller allowed in some namespaces may see of a list across all. */
  namespaces?: ReadonlySet<string>;
  labels?: LabelSelector;
  fields?: FieldRequirement[];
}

/** Where a watcher's events go; the API layer encodes and writes them. */
export interface WatchSink<T extends AnyObject = AnyObject> {
  send(event: CacheEvent<T>, type: EventType): void;
  bookmark(revision: number): void;
}

export interface Subscription {
  close(): void;
}

export class TooOldError extends Error {
  override name = 'TooOldError';
  constructor(
    readonly requested: number,
    readonly oldest: number,
  ) {
    super(`revision ${requested} is too old: the oldest revision a watch can resume from is ${oldest}; list again and watch from the list's revision`);
  }
}

interface Watcher<T extends AnyObject> {
  filter: WatchFilter;
  sink: WatchSink<T>;
  /** The (field, value) this watcher is indexed under, if any. */
  indexKey?: [string, string];
}

export interface WatchCacheOptions {
  /** Events kept for resuming watches. */
  historyEvents?: number;
  /**
   * Bytes of objects those events may hold (default 64 MiB): a history of big objects, or of
   * the deletions of everything, must not keep the server's memory after the objects are gone.
   */
  historyBytes?: number;
}

export class WatchCache<T extends AnyObject = AnyObject> {
  private readonly objects = new Map<string, Entry<T>>();
  private sortedNames: string[] | null = [];
  /** field → value → names, for indexed field selectors on lists. */
  private readonly objectIndex = new Map<string, Map<string, Set<string>>>();
  private readonly history: CacheEvent<T>[] = [];
  private readonly historyLimit: number;
  private readonly historyBytesLimit: number;
  private historyBytes = 0;
  /** Watches can resume from any revision >= this one. */
  private oldestResumable = 0;
  private readonly unindexed = new Set<Watcher<T>>();
  /** field → value → watchers filtering on field=value. */
  private readonly watcherIndex = new Map<string, Map<string, Set<Watcher<T>>>>();
  private watcherCount = 0;
  /** Latest revision reflected here (the global store revision, not only this kind's). */
  revision = 0;

  constructor(
    readonly info: KindInfo,
    options: WatchCacheOptions = {},
  ) {
    this.historyLimit = options.historyEvents ?? 100_000;
    this.historyBytesLimit = options.historyBytes ?? 64 * 1024 * 1024;
    for (const f of info.indexes ?? []) {
      this.objectIndex.set(f, new Map());
      this.watcherIndex.set(f, new Map());
    }
  }

  get size(): number {
    return this.objects.size;
  }
  /** Watches can resume from this revision or any later one. */
  get oldestRevision(): number {
    return this.oldestResumable;
  }
  get watchers(): number {
    return this.watcherCount;
  }

  /** The object of a key ("namespace/name" for a namespaced kind, else the name). */
  get(key: string): Entry<T> | undefined {
    return this.objects.get(key);
  }

  /** An object's key in this cache. */
  keyOf(obj: AnyObject): string {
    return objectKey(obj, this.info.namespaced === true);
  }

  /** Loads the initial state (a list at `revision`; `stored[i]`: the store's value of `objects[i]`, see Entry); watches resume only from there on. */
  reset(objects: T[], revision: number, stored?: readonly string[]): void {
    this.objects.clear();
    for (const idx of this.objectIndex.values()) idx.clear();
    // No watcher yet to make frames from the stored text: it is not kept (see Entry.settle).
    objects.forEach((o, i) => this.put(new Entry(o, stored?.[i]?.length ?? 0)));
    this.sortedNames = null;
    this.history.length = 0;
    this.historyBytes = 0;
    this.revision = revision;
    this.oldestResumable = revision;
  }

  /**
   * Takes a fresh list at `revision` after the store's watch was lost (history compacted past
   * it, say): the differences from the cached state become events at that revision, so every
   * watcher and controller sees the changes it missed, collapsed, and resumes keep working.
   */
  replace(objects: T[], revision: number, stored?: readonly string[]): void {
    const listed = new Set<string>();
    objects.forEach((o, i) => {
      const name = this.keyOf(o);
      listed.add(name);
      const cached = this.objects.get(name);
      const text = stored?.[i];
      if (!cached) this.apply('ADDED', o, revision, text?.length, text);
      else if (cached.revision !== o.metadata.revision) this.apply('MODIFIED', o, revision, text?.length, text);
    });
    for (const [name, e] of [...this.objects]) if (!listed.has(name)) this.apply('DELETED', e.object, revision);
    this.advance(revision);
  }

  /** Applies one committed change (`bytes`: the object's stored size, when known; `stored`: its stored value, see Entry). Called in revision order. */
  apply(type: EventType, object: T, revision: number, bytes = 0, stored?: string): void {
    const name = this.keyOf(object);
    const prev = this.objects.get(name);
    let entry: Entry<T>;
    if (type === 'DELETED') {
      if (!prev) return;
      this.remove(prev);
      // The spread keeps revision where it was, last: the stored text still fits.
      entry = new Entry({ ...prev.object, metadata: { ...prev.object.metadata, revision } }, prev.bytes, prev.stored);
    } else {
      if (prev) this.remove(prev);
      entry = new Entry(object, bytes, stored);
      this.put(entry);
      if (!prev) type = 'ADDED';
      else if (type === 'ADDED') type = 'MODIFIED';
    }
    const event = new CacheEvent(type, revision, entry, prev);
    this.record(event);
    this.dispatch(event);
    event.forgetFrames();
    entry.settle();
    prev?.supersede();
  }

  /** Moves the cache's revision forward (after every store event batch, whatever its kind). */
  advance(revision: number): void {
    if (revision > this.revision) this.revision = revision;
  }

  /** Every cached object, in no particular order: for controllers that scan all, without a sort. */
  *values(): IterableIterator<T> {
    for (const e of this.objects.values()) yield e.object;
  }

  /** Keys in sorted order (computed lazily after adds and removes): a namespace's objects are together. */
  names(): string[] {
    if (!this.sortedNames) this.sortedNames = [...this.objects.keys()].sort(compareNames);
    return this.sortedNames;
  }

  /** Entries matching a filter, sorted by key, starting after key `after`. Uses a field index when it can. */
  *select(filter: WatchFilter, after?: string): Generator<Entry<T>> {
    const namespaced = this.info.namespaced === true;
    if (filter.name !== undefined && (!namespaced || filter.namespace !== undefined)) {
      const key = namespaced ? `${filter.namespace}/${filter.name}` : filter.name;
      const e = this.objects.get(key);
      if (e && (after === undefined || compareNames(key, after) > 0) && this.matches(filter, e.object)) yield e;
      return;
    }
    const indexed = this.indexedRequirement(filter);
    let names: string[];
    if (indexed) {
      const set = this.objectIndex.get(indexed.field)!.get(indexed.value);
      names = set ? [...set].sort(compareNames) : [];
    } else {
      names = this.names();
    }
    let i = 0;
    // A namespace's keys are contiguous in key order: start at its first, stop after its last.
    const within = !indexed && namespaced && filter.namespace !== undefined ? `${filter.namespace}/` : undefined;
    if (within !== undefined && (after === undefined || compareNames(after, within) < 0)) after = within;
    if (after !== undefined) i = upperBound(names, after);
    for (; i < names.length; i++) {
      if (within !== undefined && !names[i]!.startsWith(within)) return;
      const e = this.objects.get(names[i]!);
      if (e && this.matches(filter, e.object)) yield e;
    }
  }

  matches(filter: WatchFilter, obj: T): boolean {
    if (filter.name !== undefined && obj.metadata.name !== filter.name) return false;
    if (filter.namespace !== undefined && obj.metadata.namespace !== filter.namespace) return false;
    if (filter.namespaces !== undefined && !filter.namespaces.has(obj.metadata.namespace ?? '')) return false;
    if (filter.labels && !matchesLabels(filter.labels, obj.metadata.labels)) return false;
    if (filter.fields) {
      for (const r of filter.fields) {
        const v = this.info.fields[r.field]?.(obj) ?? '';
        if ((v === r.value) !== (r.op === '=')) return false;
      }
    }
    return true;
  }

  /**
   * Subscribes a sink. With `fromRevision` undefined, sends the current matching objects as
   * ADDED and a BOOKMARK first; otherwise replays the events after `fromRevision`
   * (TooOldError if they are no longer held). Synchronous, so nothing falls in between.
   */
  subscribe(filter: WatchFilter, sink: WatchSink<T>, fromRevision?: number): Subscription {
    if (fromRevision === undefined) {
      for (const e of this.select(filter)) sink.send(new CacheEvent('ADDED', e.revision, e, undefined), 'ADDED');
      sink.bookmark(this.revision);
    } else {
      if (fromRevision < this.oldestResumable) throw new TooOldError(fromRevision, this.oldestResumable);
      if (fromRevision > this.revision) sink = skipThrough(sink, fromRevision);
      for (let i = upperBoundRevision(this.history, fromRevision); i < this.history.length; i++) {
        const ev = this.history[i]!;
        const type = this.effectiveType(filter, ev);
        if (type) sink.send(ev, type);
      }
    }
    const watcher: Watcher<T> = { filter, sink };
    const idx = this.indexedRequirement(filter);
    if (idx) {
      watcher.indexKey = [idx.field, idx.value];
      const byValue = this.watcherIndex.get(idx.field)!;
      let set = byValue.get(idx.value);
      if (!set) byValue.set(idx.value, (set = new Set()));
      set.add(watcher);
    } else {
      this.unindexed.add(watcher);
    }
    this.watcherCount++;
    let closed = false;
    return {
      close: () => {
        if (closed) return;
        closed = true;
        this.watcherCount--;
        if (watcher.indexKey) {
          const [f, v] = watcher.indexKey;
          const byValue = this.watcherIndex.get(f)!;
          const set = byValue.get(v);
          set?.delete(watcher);
          if (set?.size === 0) byValue.delete(v);
        } else {
          this.unindexed.delete(watcher);
        }
      },
    };
  }

  /** Sends a BOOKMARK at the current revision to every watcher. */
  bookmarkAll(): void {
    const rev = this.revision;
    for (const w of this.unindexed) w.sink.bookmark(rev);
    for (const byValue of this.watcherIndex.values()) for (const set of byValue.values()) for (const w of set) w.sink.bookmark(rev);
  }

  private dispatch(event: CacheEvent<T>): void {
    for (const w of this.unindexed) {
      const type = this.effectiveType(w.filter, event);
      if (type) w.sink.send(event, type);
    }
    for (const [field, byValue] of this.watcherIndex) {
      if (byValue.size === 0) continue;
      const get = this.info.fields[field]!;
      const now = get(event.entry.object) ?? '';
      const before = event.prev ? (get(event.prev.object) ?? '') : undefined;
      const targets = [byValue.get(now)];
      if (before !== undefined && before !== now) targets.push(byValue.get(before));
      for (const set of targets) {
        if (!set) continue;
        for (const w of set) {
          const type = this.effectiveType(w.filter, event);
          if (type) w.sink.send(event, type);
        }
      }
    }
  }

  /**
   * The event as a filtered watcher sees it: an object that starts matching arrives as ADDED,
   * one that stops matching leaves as DELETED (a task moved off a machine, say).
   */
  effectiveType(filter: WatchFilter, event: CacheEvent<T>): EventType | undefined {
    const wasIn = event.prev !== undefined && this.matches(filter, event.prev.object);
    if (event.type === 'DELETED') return wasIn ? 'DELETED' : undefined;
    const isIn = this.matches(filter, event.entry.object);
    if (isIn) return wasIn ? 'MODIFIED' : 'ADDED';
    return wasIn ? 'DELETED' : undefined;
  }

  private indexedRequirement(filter: WatchFilter): FieldRequirement | undefined {
    return filter.fields?.find((r) => r.op === '=' && this.objectIndex.has(r.field));
  }

  private put(entry: Entry<T>): void {
    const name = this.keyOf(entry.object);
    if (!this.objects.has(name)) this.sortedNames = null;
    this.objects.set(name, entry);
    for (const [field, byValue] of this.objectIndex) {
      const v = this.info.fields[field]!(entry.object) ?? '';
      let set = byValue.get(v);
      if (!set) byValue.set(v, (set = new Set()));
      set.add(name);
    }
  }

  private remove(entry: Entry<T>): void {
    const name = this.keyOf(entry.object);
    this.objects.delete(name);
    this.sortedNames = null;
    for (const [field, byValue] of this.objectIndex) {
      const v = this.info.fields[field]!(entry.object) ?? '';
      const set = byValue.get(v);
      set?.delete(name);
      if (set?.size === 0) byValue.delete(v);
    }
  }

  private record(event: CacheEvent<T>): void {
    this.history.push(event);
    this.historyBytes += eventCost(event);
    // Trim in chunks so the shift cost is amortised.
    const overCount = this.history.length > this.historyLimit * 1.1;
    const overBytes = this.historyBytes > this.historyBytesLimit * 1.1;
    if (!overCount && !overBytes) return;
    let drop = Math.max(0, this.history.length - this.historyLimit);
    let bytes = this.historyBytes;
    for (let i = 0; i < drop; i++) bytes -= eventCost(this.history[i]!);
    while (bytes > this.historyBytesLimit && drop < this.history.length - 1) bytes -= eventCost(this.history[drop++]!);
    if (drop === 0) return;
    this.oldestResumable = Math.max(this.oldestResumable, this.history[drop - 1]!.revision);
    this.history.splice(0, drop);
    this.historyBytes = bytes;
  }
}

/** What an event holds in memory: its stored text, and its parsed object, which takes about as much again. */
function eventCost(event: CacheEvent): number {
  return 2 * event.entry.bytes + 64;
}

/**
 * A sink resuming from a revision this cache has yet to reach (another server issued it, and
 * the caller checked the store has it): what the cache delivers up to there was seen already.
 */
function skipThrough<T extends AnyObject>(sink: WatchSink<T>, revision: number): WatchSink<T> {
  return {
    send: (event, type) => {
      if (event.revision > revision) sink.send(event, type);
    },
    bookmark: (r) => {
      if (r >= revision) sink.bookmark(r);
    },
  };
}

/** Plain code-unit order: names are ASCII, so this is the store's byte order too. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function upperBound(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareNames(sorted[mid]!, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBoundRevision(events: CacheEvent[], revision: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.revision <= revision) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
