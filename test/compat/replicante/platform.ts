// A drover server that is a Replicante platform, for the tests: its own listener on a free
// loopback port, the redis package of the built-in catalog, and the SDK-shaped calls.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Package } from '../../../src/model/index.js';
import { packageRoot } from '../../../src/paths.js';
import type { ServerOptions } from '../../../src/server.js';
import { http, startTestServer, type TestServer } from '../../helpers.js';

export interface Platform extends TestServer {
  /** The base URL Core is given (ends with "/"). */
  base: string;
}

export async function startPlatform(opts: Partial<ServerOptions> = {}): Promise<Platform> {
  const ts = await startTestServer({ auth: true, replicante: { listen: '127.0.0.1:0', provider: 'local', agentReadyTimeoutMs: 30_000 }, ...opts });
  await ensureCatalogPackage(ts, 'redis.yaml');
  return Object.assign(ts, { base: ts.server.replicanteUrl! });
}

/** The catalog's package, unless the server loaded it already. */
export async function ensureCatalogPackage(ts: TestServer, file: string): Promise<Package> {
  const manifest = parse(readFileSync(join(packageRoot, 'catalog', file), 'utf8')) as Package;
  const packages = ts.client.resource<Package>('packages');
  const have = await packages.get(manifest.metadata.name).catch(() => undefined);
  return have ?? (await packages.create(manifest));
}

export async function call(p: Platform, method: 'GET' | 'POST', route: string, body?: unknown, raw?: string) {
  return http(`${p.base}${route}`, {
    method,
    ...(body !== undefined || raw !== undefined ? { headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) } : {}),
  });
}

/** A provision request as Core sends it (replisdk NodeProvisionRequest). */
export function provisionRequest(o: { cluster?: string; group?: string; count?: number | null; nodeClass?: string; version?: Record<string, unknown>; groupVersion?: Record<string, unknown>; store?: string } = {}) {
  const group = o.group ?? 'main';
  return {
    cluster: {
      cluster_id: o.cluster ?? 'cache',
      store: o.store ?? 'redis',
      ...(o.version ?? { store_version: '7.0' }),
      attributes: { maxmemory: '32mb', unused: { nested: true } },
      nodes: {
        [group]: { desired_count: 3, node_class: o.nodeClass ?? 'small', attributes: null, ...(o.groupVersion ?? {}) },
        other: { desired_count: 0, node_class: 'large', store_version: null },
      },
      extra_field: 'ignored',
    },
    provision: { node_group_id: group, ...(o.count === undefined ? {} : { count: o.count }) },
  };
}
