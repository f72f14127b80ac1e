// Role, ClusterRole, RoleBinding, ClusterRoleBinding: schemas. The built-in cluster roles
// (admin, edit, view, agent: src/security/builtin-roles.ts) are not stored and their names are
// reserved, so nobody can weaken or widen them by writing an object.
import { Type, type Static } from '@sinclair/typebox';
import type { FieldError } from '../../errors.js';
import type { RoleBindingSpec as ModelBindingSpec, RoleSpec as ModelRoleSpec } from '../../model/index.js';
import { BUILTIN_CLUSTER_ROLES } from '../../security/builtin-roles.js';
import { defineKind, type Expect, type Same } from './kind.js';

const Rule = Type.Object(
  {
    verbs: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'get, list, watch, create, update, patch, delete, or *' }),
    resources: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'plurals ("services"), subresources ("tasks/log", "tasks/root", "tasks/*"), or *' }),
    resourceNames: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'only these objects' })),
  },
  { additionalProperties: false },
);
const RoleSpec = Type.Object({ rules: Type.Array(Rule) }, { additionalProperties: false });
const BindingSpec = Type.Object(
  {
    roleRef: Type.Object({ kind: Type.Union([Type.Literal('Role'), Type.Literal('ClusterRole')]), name: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    subjects: Type.Array(Type.Object({ kind: Type.Union([Type.Literal('User'), Type.Literal('Group')]), name: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
const NoStatus = Type.Object({}, { additionalProperties: false });

type _role = Expect<Same<Static<typeof RoleSpec>, ModelRoleSpec>>;
type _binding = Expect<Same<Static<typeof BindingSpec>, ModelBindingSpec>>;

const VERBS = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', '*']);

function checkRules(spec: ModelRoleSpec): FieldError[] {
  const errs: FieldError[] = [];
  spec.rules.forEach((r, i) => {
    r.verbs.forEach((v, j) => {
      if (!VERBS.has(v)) errs.push({ path: `/spec/rules/${i}/verbs/${j}`, message: `unknown verb "${v}": use get, list, watch, create, update, patch, delete or *` });
    });
  });
  return errs;
}

export const roles = defineKind({
  kind: 'Role',
  plural: 'roles',
  namespaced: true,
  description: 'Permissions in one namespace: rules of verbs × resources (× resourceNames). Granted by a RoleBinding.',
  spec: RoleSpec,
  status: NoStatus,
  validate: (r) => checkRules(r.spec),
});

export const clusterRoles = defineKind({
  kind: 'ClusterRole',
  plural: 'clusterroles',
  description: 'Permissions that a ClusterRoleBinding grants everywhere, or a RoleBinding in its namespace. Built in (not stored): admin, edit, view, agent.',
  spec: RoleSpec,
  status: NoStatus,
  validate: (r) => {
    const errs = checkRules(r.spec);
    if (BUILTIN_CLUSTER_ROLES.has(r.metadata.name)) errs.push({ path: '/metadata/name', message: `"${r.metadata.name}" is a built-in role: choose another name` });
    return errs;
  },
});

export const roleBindings = defineKind({
  kind: 'RoleBinding',
  plural: 'rolebindings',
  namespaced: true,
  description: 'Grants a Role of its namespace, or a ClusterRole, to users and groups in its namespace.',
  spec: BindingSpec,
  status: NoStatus,
});

export const clusterRoleBindings = defineKind({
  kind: 'ClusterRoleBinding',
  plural: 'clusterrolebindings',
  description: 'Grants a ClusterRole to users and groups in every namespace and on cluster-wide kinds.',
  spec: BindingSpec,
  status: NoStatus,
  validate: (b) => (b.spec.roleRef.kind === 'ClusterRole' ? [] : [{ path: '/spec/roleRef/kind', message: 'a ClusterRoleBinding grants a ClusterRole' }]),
});
