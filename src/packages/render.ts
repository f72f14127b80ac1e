// Rendering a package: which version an installation gets, whether its values satisfy the
// package's parameters, and the Service spec the template and values make. Pure: the
// installation controller reads and writes, this decides.
import type { Constraints, Installation, Package, TaskTemplate } from '../model/index.js';

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

/** Compares versions as dotted numbers (7.10 > 7.9); a part that is not a number compares as text after the numbers. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx - ny;
    } else if (Number.isNaN(nx) !== Number.isNaN(ny)) {
      return Number.isNaN(nx) ? 1 : -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/** The package versions of one package, newest first. */
export function versionsOf(catalog: readonly Package[], name: string): Package[] {
  return catalog.filter((p) => p.spec.package === name).sort((a, b) => compareVersions(b.spec.version, a.spec.version));
}

export type Resolved = { package: Package } | { error: string };

/**
 * The package an installation renders: its spec.version, else the version it was installed at
 * (status.version: an installation never upgrades by itself), else the newest.
 */
export function resolvePackage(catalog: readonly Package[], inst: Installation): Resolved {
  const name = inst.spec.package;
  const versions = versionsOf(catalog, name);
  if (versions.length === 0) return { error: `package "${name}" not found in the catalog: see \`drover package list\`` };
  const wanted = inst.spec.version ?? inst.status?.version;
  if (wanted === undefined) return { package: versions[0]! };
  const found = versions.find((p) => p.spec.version === wanted);
  if (!found) return { error: `package "${name}" has no version "${wanted}" (versions: ${versions.map((p) => p.spec.version).join(', ')})` };
  return { package: found };
}

export type CheckedValues = { values: Record<string, string> } | { error: string };

/** The values with defaults filled in, or why they cannot be used (naming the parameter and the fix). */
export function checkValues(pkg: Package, given: Record<string, string> = {}): CheckedValues {
  const params = pkg.spec.parameters ?? [];
  const ref = `${pkg.spec.package}@${pkg.spec.version}`;
  const known = new Set(params.map((p) => p.name));
  const unknown = Object.keys(given).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    return { error: `unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} for package ${ref}; its parameters: ${[...known].join(', ') || 'none'}` };
  }
  const values: Record<string, string> = {};
  for (const p of params) {
    const value = given[p.name] ?? p.default;
    if (value === undefined) return { error: `parameter "${p.name}" of package ${ref} is required${p.description ? ` (${p.description})` : ''}: set it with --set ${p.name}=VALUE` };
    if (p.pattern !== undefined && !new RegExp(`^(?:${p.pattern})$`).test(value)) {
      return { error: `parameter "${p.name}" of package ${ref}: "${value}" does not match the pattern ${p.pattern}; set a matching value with --set ${p.name}=VALUE` };
    }
    values[p.name] = value;
  }
  return { values };
}

/** `value` with "{{name}}" in every string replaced by its value; keys and non-strings untouched (JSON-safe: no text substitution in the serialised form). */
export function substitute<T>(value: T, values: Record<string, string>): T {
  if (typeof value === 'string') return value.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole) as T;
  if (Array.isArray(value)) return value.map((v) => substitute(v, values)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, values)])) as T;
  return value;
}

export interface RenderedService {
  template: TaskTemplate;
  constraints?: Constraints;
  replicas: number;
}

/** The Service spec of an installation of `pkg` with checked `values`: the installation's constraints override the package's key by key. */
export function renderService(pkg: Package, values: Record<string, string>, inst: Installation): RenderedService {
  const template = substitute(pkg.spec.template, values);
  // The agent checks these before starting (MissingBinary), naming where they come from.
  if (pkg.spec.requires?.length) {
    template.requires = [...pkg.spec.requires];
    if (pkg.spec.provides) template.requiresFrom = pkg.spec.provides;
  }
  const constraints = { ...substitute(pkg.spec.constraints ?? {}, values), ...inst.spec.constraints };
  return { template, ...(Object.keys(constraints).length > 0 ? { constraints } : {}), replicas: inst.spec.replicas ?? 1 };
}
