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
  | { page: 'notFound'; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'overview' };
  if (parts[0] === 'machines' && parts.length === 1) return { page: 'machines' };
  if (parts[0] === 'machines' && parts.length === 2) return { page: 'machine', name: parts[1]! };
  if (parts[0] === 'services' && parts.length === 1) return { page: 'services' };
  if (parts[0] === 'services' && parts[1] === 'new' && parts.length === 2) return { page: 'newService' };
  if ((parts[0] === 'services' || parts[0] === 'tasks') && parts.length === 3) return { page: parts[0] === 'services' ? 'service' : 'task', namespace: parts[1]!, name: parts[2]! };
  return { page: 'notFound', path };
}

export function href(page: 'service' | 'task', namespace: string | undefined, name: string): string {
  return `#/${page}s/${encodeURIComponent(namespace ?? 'default')}/${encodeURIComponent(name)}`;
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
