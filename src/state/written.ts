// Objects this server is writing, by key, so that the watch event reporting the write can cache
// the object the write path built instead of parsing the JSON it has just serialised (on SQLite
// the event arrives before the write is acknowledged; parsing every written value back was ~3%
// of the server's CPU and much of its garbage under a flood of task creates and status reports).
// An event whose value is not the one held here (another server's write, a later write of the
// same key) is parsed as before, so nothing depends on the handoff taking place.
import type { AnyObject } from './object.js';

interface Held {
  value: string;
  /** The stored form: the object without metadata.revision, as encode serialised it. */
  stored: AnyObject;
}

export class WrittenObjects {
  private readonly byKey = new Map<string, Held>();

  /**
   * Offers `stored` (serialised as `value`) for `key` until the returned release is called,
   * once the write is over. Objects that JSON would not give back as they are (undefined
   * fields, Dates, NaN…) are not offered: the event parses them.
   */
  hold(key: string, value: string, stored: AnyObject): () => void {
    if (!isPlainJson(stored)) return noop;
    const held: Held = { value, stored };
    this.byKey.set(key, held);
    return () => {
      if (this.byKey.get(key) === held) this.byKey.delete(key);
    };
  }

  /**
   * The object written as `value` under `key`, with its revision; undefined if this server is
   * not writing that value. The cache shares it with every reader and parts of it with the
   * writer, who hands them over: like every cached object, nobody may change them. Not frozen:
   * deep-freezing cost as much as the parse it replaces (and made later stringifies slower).
   */
  take<T extends AnyObject>(key: string, value: string, modRevision: number): T | undefined {
    const held = this.byKey.get(key);
    // The same string on SQLite (the store keeps the value it was given): compared by identity.
    if (!held || held.value !== value) return undefined;
    this.byKey.delete(key);
    const obj = held.stored as T;
    obj.metadata.revision = modRevision;
    return obj;
  }
}

function noop(): void {}

/** JSON.parse(JSON.stringify(v)) would be equal to `v`, property order included. */
function isPlainJson(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'object': {
      if (v === null) return true;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!(i in v) || !isPlainJson(v[i])) return false;
        return true;
      }
      if (Object.getPrototypeOf(v) !== Object.prototype) return false;
      for (const k in v) {
        // JSON.parse sets "__proto__" as an own property; an object literal or spread cannot hold one the same way.
        if (!Object.hasOwn(v, k) || k === '__proto__' || !isPlainJson((v as Record<string, unknown>)[k])) return false;
      }
      return true;
    }
    default:
      return false;
  }
}
