// Hash routing: every page has its own URL (bookmarkable, back and forward work), and the
// server serves one page for all of them.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'overview' }
  | { page: 'services' }
  | { page: 'newService' }
  | { page: 'service'; namespace: string; name: string }
  | { page: 'task'; namespace: string; name: string }
  | { page: 'machines' }
  | { page: 'machine'; name: string }
  | { page: 'map' }
  /** Events, of one object when `object` is "kind/name" (as the CLI names it). */
  | { page: 'events'; object?: string }
  /** The list and the detail pages of the other kinds (datasets, hosts, clusters, operations). */
  | { page: 'kind'; plural: OtherPlural }
  | { page: 'object'; plural: OtherPlural; namespace?: string; name: string }
  | { page: 'notFound'; path: string };

/** The kinds with a generic list and detail page, and whether their objects live in a namespace. */
export const OTHER_KINDS = { datasets: true, hosts: false, clusters: false, operations: false } as const;
export type OtherPlural = keyof typeof OTHER_KINDS;
const isOther = (p: string | undefined): p is OtherPlural => p !== undefined && Object.hasOwn(OTHER_KINDS, p);

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'overview' };
  if (parts[0] === 'machines' && parts.length === 1) return { page: 'machines' };
  if (parts[0] === 'machines' && parts.length === 2) return { page: 'machine', name: parts[1]! };
  if (parts[0] === 'services' && parts.length === 1) return { page: 'services' };
  if (parts[0] === 'services' && parts[1] === 'new' && parts.length === 2) return { page: 'newService' };
  if ((parts[0] === 'services' || parts[0] === 'tasks') && parts.length === 3) return { page: parts[0] === 'services' ? 'service' : 'task', namespace: parts[1]!, name: parts[2]! };
  if (parts[0] === 'map' && parts.length === 1) return { page: 'map' };
  if (parts[0] === 'events' && parts.length === 1) return { page: 'events' };
  if (parts[0] === 'events' && parts.length === 3) return { page: 'events', object: `${parts[1]}/${parts[2]}` };
  const plural = parts[0];
  if (isOther(plural) && parts.length === 1) return { page: 'kind', plural };
  if (isOther(plural) && parts.length === (OTHER_KINDS[plural] ? 3 : 2)) {
    return OTHER_KINDS[plural] ? { page: 'object', plural, namespace: parts[1]!, name: parts[2]! } : { page: 'object', plural, name: parts[1]! };
  }
  return { page: 'notFound', path };
}

export function href(page: 'service' | 'task', namespace: string | undefined, name: string): string {
  return `#/${page}s/${encodeURIComponent(namespace ?? 'default')}/${encodeURIComponent(name)}`;
}

/** The page of an object of any kind the console shows, or undefined. */
export function objectHref(kind: string, namespace: string | undefined, name: string): string | undefined {
  const plural = `${kind.toLowerCase()}s`;
  if (plural === 'services' || plural === 'tasks') return href(plural === 'services' ? 'service' : 'task', namespace, name);
  if (plural === 'machines') return `#/machines/${encodeURIComponent(name)}`;
  if (!isOther(plural)) return undefined;
  return OTHER_KINDS[plural] ? `#/${plural}/${encodeURIComponent(namespace ?? 'default')}/${encodeURIComponent(name)}` : `#/${plural}/${encodeURIComponent(name)}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
