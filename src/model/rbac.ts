// Role-based access control, the Kubernetes way: a Role (in a namespace) or ClusterRole (everywhere)
// holds rules; a RoleBinding grants a Role or ClusterRole to users and groups in its namespace, a
// ClusterRoleBinding grants a ClusterRole everywhere.
import type { ApiObject } from './meta.js';

/**
 * What a rule allows: each verb on each resource. A resource is a kind's plural ("services"),
 * a subresource ("tasks/log", "tasks/status", "tasks/root", "tasks/bind", "tasks/*"), or "*"
 * (everything, subresources included). resourceNames, when given, limits the rule to those objects.
 */
export interface PolicyRule {
  verbs: string[];
  resources: string[];
  resourceNames?: string[];
}

export interface RoleSpec {
  rules: PolicyRule[];
}

export interface Subject {
  kind: 'User' | 'Group';
  name: string;
}

export interface RoleBindingSpec {
  roleRef: { kind: 'Role' | 'ClusterRole'; name: string };
  subjects: Subject[];
}

export type Role = ApiObject<RoleSpec, Record<string, never>>;
export type RoleBinding = ApiObject<RoleBindingSpec, Record<string, never>>;

/** The group every agent's principal is in; its users are named `system:node:<machine name>`. */
export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';
