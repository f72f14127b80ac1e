// Which Ingress rule a request takes: exact Host (port and case ignored), then the longest
// path prefix on whole segments; among equal paths a rule naming the host beats one for any host.
import type { Ingress, IngressRule } from '../model/index.js';

export interface Route {
  namespace: string;
  ingress: string;
  host?: string;
  /** Normalized: starts with "/", no trailing "/" except the root. */
  path: string;
  service: string;
  port?: string;
}

/** Every rule of `ingresses`, flattened and normalized, longest path first (so the first match wins). */
export function routesOf(ingresses: Iterable<Ingress>): Route[] {
  const routes: Route[] = [];
  for (const ing of ingresses) {
    for (const rule of ing.spec.rules ?? []) routes.push(routeOf(ing, rule));
  }
  return routes.sort((a, b) => b.path.length - a.path.length || Number(b.host !== undefined) - Number(a.host !== undefined) || a.namespace.localeCompare(b.namespace) || a.ingress.localeCompare(b.ingress));
}

function routeOf(ing: Ingress, rule: IngressRule): Route {
  return {
    namespace: ing.metadata.namespace ?? 'default',
    ingress: ing.metadata.name,
    ...(rule.host ? { host: rule.host.toLowerCase() } : {}),
    path: normalizePath(rule.path ?? '/'),
    service: rule.service,
    ...(rule.port ? { port: rule.port } : {}),
  };
}

export function normalizePath(p: string): string {
  const withSlash = p.startsWith('/') ? p : `/${p}`;
  return withSlash.length > 1 ? withSlash.replace(/\/+$/, '') || '/' : withSlash;
}

/** The route for a request's Host header and URL (its path; the query is ignored), or undefined. */
export function matchRoute(routes: readonly Route[], hostHeader: string | undefined, url: string): Route | undefined {
  const host = hostOnly(hostHeader);
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return routes.find((r) => (r.host === undefined || r.host === host) && hasPrefix(path, r.path));
}

function hasPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || (path.startsWith(prefix) && path[prefix.length] === '/');
}

/** "Example.com:8080" → "example.com"; "[::1]:80" → "::1". */
export function hostOnly(h: string | undefined): string | undefined {
  if (!h) return undefined;
  const lower = h.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(1, lower.indexOf(']'));
  const colon = lower.lastIndexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}
