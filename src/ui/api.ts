// The console's door to the API: the same public routes as every client, with the session's
// credential. Errors are the client's ApiError (parsed by src/client), watches the client's
// resuming NDJSON stream.
import { errorFromResponse } from '../client/errors.js';
import { watchStream, type WatchEvent, type WatchRequest } from '../client/watch.js';
import type { AnyObject } from '../model/meta.js';

export interface Session {
  /** The Authorization header value: "Bearer …" or "Basic …"; none when the browser's client certificate says who we are. */
  authorization?: string;
  /** Who logged in, as the user typed or the login link said. */
  label: string;
}

/** One discovered kind with the verbs the caller may use on it (GET /api/v1). */
export interface DiscoveredKind {
  name: string;
  kind: string;
  namespaced?: boolean;
  verbs: string[];
}

export class Api {
  constructor(readonly session: Session) {}

  /** `ifMatch`: the revision the change is based on; the server refuses it (412) if the object moved on since. */
  async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json', ifMatch?: number): Promise<T> {
    const headers: Record<string, string> = { ...this.credential(), accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = contentType;
    if (ifMatch !== undefined) headers['if-match'] = `"${ifMatch}"`;
    // A YAML document goes as the user wrote it: the server parses it and names the bad fields.
    const payload = typeof body === 'string' && contentType === 'application/yaml' ? body : JSON.stringify(body);
    const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: payload } : {}) });
    const text = await res.text();
    if (!res.ok) throw errorFromResponse(res.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private credential(): Record<string, string> {
    return this.session.authorization ? { authorization: this.session.authorization } : {};
  }

  /** The kinds this user may use at all, with their verbs. */
  async discover(): Promise<DiscoveredKind[]> {
    return (await this.request<{ resources: DiscoveredKind[] }>('GET', '/api/v1')).resources;
  }

  /** Every object of `plural` the user may see, then each change: resumed after a drop (see src/client/watch.ts). */
  watch<T extends AnyObject>(plural: string, hooks: Pick<WatchRequest, 'signal' | 'onDisconnect' | 'onReconnect'>): AsyncGenerator<WatchEvent<T>> {
    return watchStream<T>({
      ...hooks,
      open: (revision, signal) => this.stream(`/api/v1/${plural}?watch=true${revision === undefined ? '' : `&revision=${revision}`}`, signal),
    });
  }

  /** A streaming GET (a watch, a followed log): the answer once its headers arrived, or the API's error. */
  async stream(path: string, signal: AbortSignal): Promise<Response> {
    const res = await fetch(path, { headers: this.credential(), signal });
    if (!res.ok) throw errorFromResponse(res.status, await res.text());
    return res;
  }
}

/** The URL path of one namespaced object (or of its subresource). */
export function objectPath(plural: string, namespace: string | undefined, name: string, sub = ''): string {
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `/api/v1${ns}/${plural}/${encodeURIComponent(name)}${sub}`;
}
