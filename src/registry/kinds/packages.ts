// Package: schema and strategy. A catalog entry, named NAME-VERSION so that every version of a
// package is its own object; the template is checked as a Service's would be, with its
// "{{param}}" placeholders naming declared parameters only.
import { Type, type Static } from '@sinclair/typebox';
import type { FieldError } from '../../errors.js';
import { packageObjectName, type Package, type PackageSpec as ModelSpec } from '../../model/index.js';
import { Constraints, TaskTemplate } from './common.js';
import { defineKind, type Expect, type Same } from './kind.js';
import { checkTemplate } from './template.js';

const PARAM_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

const PackageSpec = Type.Object(
  {
    package: Type.String({ minLength: 1, description: 'the package name without its version ("redis")' }),
    version: Type.String({ minLength: 1, description: 'its version; dotted numbers compare numerically' }),
    description: Type.Optional(Type.String()),
    store: Type.Optional(Type.String({ description: 'the data store it runs, as Replicante names stores (redis, etcd)' })),
    parameters: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ description: '{{name}} in the template stands for its value' }),
            description: Type.Optional(Type.String()),
            default: Type.Optional(Type.String({ description: 'used when the installation gives none; none: the value is required' })),
            pattern: Type.Optional(Type.String({ description: 'a regular expression the whole value must match' })),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    template: TaskTemplate,
    constraints: Type.Optional(Constraints),
    requires: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'executables the template needs in PATH on the machine' })),
    provides: Type.Optional(Type.String({ description: 'where they come from, for the error message (e.g. "apt-get install redis-server")' })),
    agentPort: Type.Optional(Type.String({ description: "the parameter holding the port of a node's agent endpoint (Replicante's agent_address)" })),
  },
  { additionalProperties: false },
);
const PackageStatus = Type.Object({}, { additionalProperties: false });

type _spec = Expect<Same<Static<typeof PackageSpec>, ModelSpec>>;

export const packages = defineKind({
  kind: 'Package',
  plural: 'packages',
  shortNames: ['package', 'pkg'],
  description: 'A named, versioned, parameterised service template (a catalog entry), named NAME-VERSION; install it with an Installation.',
  spec: PackageSpec,
  status: PackageStatus,
  validate: (pkg) => checkPackage(pkg),
  fields: { 'spec.package': (p) => p.spec.package, 'spec.store': (p) => p.spec.store, 'spec.version': (p) => p.spec.version },
});

function checkPackage(pkg: Package): FieldError[] {
  const spec = pkg.spec;
  const errs: FieldError[] = [];
  const expected = packageObjectName(spec.package, spec.version);
  if (pkg.metadata.name !== expected) errs.push({ path: '/metadata/name', message: `a package is named NAME-VERSION: expected "${expected}"` });
  const declared = new Set<string>();
  (spec.parameters ?? []).forEach((p, i) => {
    if (!PARAM_NAME.test(p.name)) errs.push({ path: `/spec/parameters/${i}/name`, message: `must be letters, digits and _, not starting with a digit; got "${p.name}"` });
    if (declared.has(p.name)) errs.push({ path: `/spec/parameters/${i}/name`, message: `parameter "${p.name}" is declared twice` });
    declared.add(p.name);
    if (p.pattern !== undefined) {
      try {
        const re = new RegExp(`^(?:${p.pattern})$`);
        if (p.default !== undefined && !re.test(p.default)) errs.push({ path: `/spec/parameters/${i}/default`, message: `"${p.default}" does not match the parameter's pattern ${p.pattern}` });
      } catch (err) {
        errs.push({ path: `/spec/parameters/${i}/pattern`, message: `not a regular expression: ${(err as Error).message}` });
      }
    }
  });
  if (spec.agentPort !== undefined && !declared.has(spec.agentPort)) errs.push({ path: '/spec/agentPort', message: `names no declared parameter: "${spec.agentPort}"` });
  for (const [name, path] of placeholders(spec.template, '/spec/template')) {
    if (!declared.has(name)) errs.push({ path, message: `{{${name}}} names no declared parameter (declared: ${[...declared].join(', ') || 'none'})` });
  }
  errs.push(...checkTemplate(spec.template, '/spec/template'));
  return errs;
}

/** Every "{{name}}" in the strings of a value, with the JSON pointer of the string holding it. */
export function placeholders(value: unknown, path: string): [string, string][] {
  if (typeof value === 'string') return [...value.matchAll(PLACEHOLDER)].map((m) => [m[1]!, path]);
  if (Array.isArray(value)) return value.flatMap((v, i) => placeholders(v, `${path}/${i}`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => placeholders(v, `${path}/${k}`));
  return [];
}
