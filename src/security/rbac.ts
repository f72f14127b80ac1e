// The RBAC authorizer: roles and bindings as the state's caches hold them (no store round trip
// per request), indexed by subject and rebuilt only after one of them changes. The
// administrators group is checked first: the anonymous administrator and the controllers pay
// one array lookup, so GET throughput does not depend on how many bindings exist.
import { DEFAULT_NAMESPACE, type AnyObject, type PolicyRule, type RoleBindingSpec, type RoleSpec } from '../model/index.js';
import { isAdministrator, type Attributes, type Authorizer } from './authorizer.js';
import { BUILTIN_CLUSTER_ROLES } from './builtin-roles.js';
import { ADMINISTRATORS_GROUP, REPLICANTE_PLATFORMS_GROUP, type Principal } from './principal.js';
import { NODES_GROUP } from '../model/index.js';

/** Where the authorizer reads roles and bindings (the state's caches, through the registry). */
export interface PolicySource {
  /** The objects of a kind, by plural. */
  list(plural: string): Iterable<AnyObject>;
  /** Calls `listener` after any change of roles or bindings. */
  onChange(listener: () => void): void;
}

/** One grant: rules, everywhere (namespace undefined) or in one namespace. */
interface Grant {
  namespace?: string;
  rules: readonly PolicyRule[];
}

/** Built in, not stored: administrators may do everything, agents what the node authorizer lets them. */
const BUILTIN_BINDINGS: { group: string; role: string }[] = [
  { group: ADMINISTRATORS_GROUP, role: 'admin' },
  { group: NODES_GROUP, role: 'agent' },
  { group: REPLICANTE_PLATFORMS_GROUP, role: 'replicante-platform' },
];

export function ruleAllows(rule: PolicyRule, attrs: Attributes): boolean {
  if (!rule.verbs.includes('*') && !rule.verbs.includes(attrs.verb)) return false;
  const target = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const resourceMatches = rule.resources.some((r) => r === '*' || r === target || (attrs.subresource !== undefined && r === `${attrs.resource}/*`));
  if (!resourceMatches) return false;
  return rule.resourceNames === undefined || (attrs.name !== undefined && rule.resourceNames.includes(attrs.name));
}

export class RbacAuthorizer implements Authorizer {
  /** "u:<user>" / "g:<group>" → its grants; undefined until first asked after a change. */
  private bySubject?: Map<string, Grant[]>;

  constructor(private readonly source: PolicySource) {
    source.onChange(() => (this.bySubject = undefined));
  }

  allowed(p: Principal, attrs: Attributes): boolean {
    if (isAdministrator(p)) return true;
    for (const g of this.grantsOf(p)) {
      if (g.namespace !== undefined && g.namespace !== attrs.namespace) continue;
      if (g.rules.some((r) => ruleAllows(r, attrs))) return true;
    }
    return false;
  }

  namespacesAllowed(p: Principal, attrs: Omit<Attributes, 'namespace' | 'name'>): ReadonlySet<string> {
    const out = new Set<string>();
    for (const g of this.grantsOf(p)) {
      if (g.namespace !== undefined && g.rules.some((r) => ruleAllows(r, attrs))) out.add(g.namespace);
    }
    return out;
  }

  private grantsOf(p: Principal): Grant[] {
    const index = (this.bySubject ??= this.build());
    const out = [...(index.get(`u:${p.name}`) ?? [])];
    for (const g of p.groups) out.push(...(index.get(`g:${g}`) ?? []));
    return out;
  }

  private build(): Map<string, Grant[]> {
    const index = new Map<string, Grant[]>();
    const add = (key: string, grant: Grant) => {
      let list = index.get(key);
      if (!list) index.set(key, (list = []));
      list.push(grant);
    };
    const clusterRoles = new Map<string, readonly PolicyRule[]>(BUILTIN_CLUSTER_ROLES);
    for (const r of this.source.list('clusterroles')) if (!clusterRoles.has(r.metadata.name)) clusterRoles.set(r.metadata.name, (r.spec as RoleSpec).rules);
    const roles = new Map<string, readonly PolicyRule[]>();
    for (const r of this.source.list('roles')) roles.set(`${r.metadata.namespace ?? DEFAULT_NAMESPACE}/${r.metadata.name}`, (r.spec as RoleSpec).rules);
    for (const b of BUILTIN_BINDINGS) add(`g:${b.group}`, { rules: BUILTIN_CLUSTER_ROLES.get(b.role)! });
    const bind = (binding: AnyObject, namespace: string | undefined) => {
      const spec = binding.spec as RoleBindingSpec;
      // A binding to a role that does not exist (yet) grants nothing, as in Kubernetes.
      const rules = spec.roleRef.kind === 'ClusterRole' ? clusterRoles.get(spec.roleRef.name) : roles.get(`${namespace}/${spec.roleRef.name}`);
      if (!rules) return;
      for (const s of spec.subjects) add(`${s.kind === 'User' ? 'u' : 'g'}:${s.name}`, { namespace, rules });
    };
    for (const b of this.source.list('clusterrolebindings')) bind(b, undefined);
    for (const b of this.source.list('rolebindings')) bind(b, b.metadata.namespace ?? DEFAULT_NAMESPACE);
    return index;
  }
}
