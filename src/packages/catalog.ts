// The catalog directories: every *.yaml file holds Package manifests (one or more documents),
// loaded when the server starts. A loaded package carries CATALOG_FILE_LABEL (its file) and the
// digest of its manifest, so the next start replaces it only when the file changed, and removes
// it when its file (in a directory loaded again) no longer declares it. A package made through
// the API under the same name is left alone. A broken file is logged and skipped: one bad
// manifest must not keep the server from starting.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { parseAllDocuments } from 'yaml';
import { CATALOG_FILE_LABEL, packageObjectName, type Package } from '../model/index.js';
import { packageRoot } from '../paths.js';
import { systemContext, type Registry } from '../registry/index.js';

/** The catalog shipped with drover. */
export const builtinCatalogDir = join(packageRoot, 'catalog');

/** The digest of a catalog manifest, kept to tell whether its file changed. */
export const CATALOG_DIGEST_ANNOTATION = 'drover.io/catalog-digest';

export interface CatalogLoad {
  /** Package object names created or replaced. */
  loaded: string[];
  /** Unchanged since the last load. */
  unchanged: string[];
  /** Files or documents skipped, with why. */
  skipped: { file: string; message: string }[];
  /** Catalog packages removed because their file no longer declares them. */
  removed: string[];
}

interface Manifest {
  file: string;
  name: string;
  body: Record<string, unknown>;
  digest: string;
}

export async function loadCatalog(dirs: readonly string[], registry: Registry, log: Logger): Promise<CatalogLoad> {
  const result: CatalogLoad = { loaded: [], unchanged: [], skipped: [], removed: [] };
  const skip = (file: string, message: string) => {
    result.skipped.push({ file, message });
    log.error({ file, message }, 'catalog: skipping a package manifest');
  };
  const manifests: Manifest[] = [];
  const scanned: string[] = [];
  for (const dir of dirs.map((d) => resolve(d))) {
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
    } catch (err) {
      skip(dir, `cannot read the catalog directory: ${(err as Error).message}`);
      continue;
    }
    scanned.push(dir);
    for (const f of files) manifests.push(...readManifests(join(dir, f), skip));
  }
  const packages = registry.kind<Package>('packages');
  const declared = new Set<string>();
  for (const m of manifests) {
    if (declared.has(m.name)) {
      skip(m.file, `package "${m.name}" is declared twice in the catalog; the first one is kept`);
      continue;
    }
    declared.add(m.name);
    const existing = await packages.find(systemContext, m.name);
    if (existing && existing.metadata.labels?.[CATALOG_FILE_LABEL] === undefined) {
      log.warn({ file: m.file, package: m.name }, 'catalog: a package of this name was made through the API; leaving it alone');
      result.skipped.push({ file: m.file, message: `package "${m.name}" exists and was not loaded from a catalog` });
      continue;
    }
    if (existing?.metadata.annotations?.[CATALOG_DIGEST_ANNOTATION] === m.digest && existing.metadata.labels?.[CATALOG_FILE_LABEL] === m.file) {
      result.unchanged.push(m.name);
      continue;
    }
    try {
      await packages.replace(systemContext, m.name, m.body);
      result.loaded.push(m.name);
    } catch (err) {
      skip(m.file, `package "${m.name}": ${(err as Error).message}${detailsOf(err)}`);
    }
  }
  // Packages a rescanned file declared before and declares no more.
  for (const p of packages.list(systemContext)) {
    const file = p.metadata.labels?.[CATALOG_FILE_LABEL];
    if (!file || declared.has(p.metadata.name) || !scanned.some((d) => file.startsWith(`${d}/`))) continue;
    await packages.delete(systemContext, p.metadata.name).then(
      () => result.removed.push(p.metadata.name),
      (err: unknown) => log.warn({ err, package: p.metadata.name }, 'catalog: removing a package its file no longer declares failed'),
    );
  }
  log.info({ loaded: result.loaded.length, unchanged: result.unchanged.length, skipped: result.skipped.length, removed: result.removed.length }, 'catalog loaded');
  return result;
}

function readManifests(file: string, skip: (file: string, message: string) => void): Manifest[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    skip(file, `cannot read: ${(err as Error).message}`);
    return [];
  }
  const docs = parseAllDocuments(text);
  const out: Manifest[] = [];
  for (const [i, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
    const where = `document ${i + 1}`;
    if (doc.errors.length > 0) {
      skip(file, `${where}: not YAML: ${doc.errors[0]!.message}`);
      return [];
    }
    const body = doc.toJS() as unknown;
    if (body === null || body === undefined) continue;
    if (typeof body !== 'object' || Array.isArray(body) || (body as { kind?: unknown }).kind !== 'Package') {
      skip(file, `${where}: not a Package manifest (kind: Package expected)`);
      continue;
    }
    const obj = body as { metadata?: { name?: unknown; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: { package?: unknown; version?: unknown } };
    const name = typeof obj.metadata?.name === 'string' ? obj.metadata.name : typeof obj.spec?.package === 'string' && typeof obj.spec.version === 'string' ? packageObjectName(obj.spec.package, obj.spec.version) : undefined;
    if (!name) {
      skip(file, `${where}: the package has no metadata.name and no spec.package and spec.version`);
      continue;
    }
    const digest = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
    const metadata = {
      ...obj.metadata,
      name,
      labels: { ...obj.metadata?.labels, [CATALOG_FILE_LABEL]: file },
      annotations: { ...obj.metadata?.annotations, [CATALOG_DIGEST_ANNOTATION]: digest },
    };
    out.push({ file, name, digest, body: { apiVersion: 'drover/v1', ...(body as object), metadata } });
  }
  return out;
}

function detailsOf(err: unknown): string {
  const details = (err as { details?: { path?: string; message?: string }[] }).details;
  return Array.isArray(details) && details.length > 0 ? `: ${details.map((d) => `${d.path ?? ''} ${d.message ?? ''}`.trim()).join('; ')}` : '';
}
