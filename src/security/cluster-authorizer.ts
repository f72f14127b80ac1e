// The server's authorizer: the node authorizer for agents, then RBAC for everyone else. A join
// token's principal (group system:bootstrappers) may only exchange itself for a node identity.
import type { AnyObject } from '../model/index.js';
import { isAdministrator, type Attributes, type Authorizer } from './authorizer.js';
import { NodeAuthorizer, nodeMachine, type NodeSource } from './node-authorizer.js';
import { BOOTSTRAPPERS_GROUP, type Principal } from './principal.js';
import { RbacAuthorizer, type PolicySource } from './rbac.js';

export class ClusterAuthorizer implements Authorizer {
  readonly rbac: RbacAuthorizer;
  readonly nodes: NodeAuthorizer;

  constructor(source: PolicySource & NodeSource) {
    this.rbac = new RbacAuthorizer(source);
    this.nodes = new NodeAuthorizer(source);
  }

  allowed(p: Principal, attrs: Attributes): boolean {
    // Administrators first: the hottest path (every GET of the anonymous administrator) is one lookup.
    if (isAdministrator(p)) return true;
    if (p.groups.includes(BOOTSTRAPPERS_GROUP)) return attrs.verb === 'create' && attrs.resource === 'nodes' && attrs.subresource === 'join';
    return this.nodes.decide(p, attrs) ?? this.rbac.allowed(p, attrs);
  }

  namespacesAllowed(p: Principal, attrs: Omit<Attributes, 'namespace' | 'name'>): ReadonlySet<string> {
    // A node lists every task it may (it decides without a namespace); nothing else by namespace.
    if (nodeMachine(p) !== undefined) return new Set();
    return this.rbac.namespacesAllowed(p, attrs);
  }

  listRestriction(p: Principal, resource: string): { field: string; value: string } | undefined {
    const machine = nodeMachine(p);
    return machine !== undefined && resource === 'tasks' ? { field: 'spec.machine', value: machine } : undefined;
  }

  admit(p: Principal, attrs: Attributes, next: AnyObject, current: AnyObject | undefined): string | undefined {
    return this.nodes.admit(p, attrs, next, current);
  }
}
