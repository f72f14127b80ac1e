// The node authorizer (Kubernetes' node authorizer and NodeRestriction admission, in one): an
// agent's principal, `system:node:<machine>` in group system:nodes, may register and update its
// own Machine only, read the tasks bound to it and the secrets they use (its lists and watches of tasks are narrowed to
// spec.machine=<machine>: see ClusterAuthorizer.listRestriction), write the status of the tasks bound to its machine and remove its
// finalizer from them, read datasets, leases and endpoints, write the status of the datasets it holds, is
// the primary of or moves, read the content of a dataset it is the new primary of (a move), and
// nothing else. It is asked before RBAC and decides alone for nodes,
// so no RoleBinding can widen what a stolen agent credential exposes beyond its own machine.
import { NODE_USER_PREFIX, NODES_GROUP, sameJson, type AnyObject, type Dataset, type Task } from '../model/index.js';
import type { Attributes } from './authorizer.js';
import type { Principal } from './principal.js';

export interface NodeSource {
  /** The task `name` of `namespace`, as the cache holds it. */
  task(namespace: string, name: string): Task | undefined;
  /** The dataset `name` of `namespace`, as the cache holds it. */
  dataset(namespace: string, name: string): Dataset | undefined;
}

/** Whether `machine` takes part in the dataset: it holds it, is its primary, or one end of its move. */
export function datasetInvolves(ds: Dataset | undefined, machine: string): boolean {
  if (!ds) return false;
  return ds.spec.primary === machine || ds.status?.machine === machine || ds.status?.move?.from === machine || ds.status?.move?.to === machine;
}

const READ = new Set(['get', 'list', 'watch']);

/** The machine a principal is the agent of, or undefined for any other principal. */
export function nodeMachine(p: Principal): string | undefined {
  if (!p.name.startsWith(NODE_USER_PREFIX) || !p.groups.includes(NODES_GROUP)) return undefined;
  const machine = p.name.slice(NODE_USER_PREFIX.length);
  return machine === '' ? undefined : machine;
}

export class NodeAuthorizer {
  constructor(private readonly source: NodeSource) {}

  /** Whether the node principal may do `attrs`; undefined for a principal that is not a node (RBAC decides). */
  decide(p: Principal, attrs: Attributes): boolean | undefined {
    const machine = nodeMachine(p);
    if (machine === undefined) return undefined;
    switch (attrs.resource) {
      case 'machines':
        if (READ.has(attrs.verb)) return attrs.subresource === undefined || attrs.subresource === 'status';
        if (attrs.verb === 'delete') return false;
        return (attrs.subresource === undefined || attrs.subresource === 'status') && attrs.name === machine;
      case 'tasks': {
        // Lists and watches are narrowed to its tasks (listRestriction); one task is checked here.
        if ((attrs.verb === 'list' || attrs.verb === 'watch') && attrs.subresource === undefined && attrs.name === undefined) return true;
        if (attrs.name === undefined || attrs.namespace === undefined) return false;
        const isMine = this.source.task(attrs.namespace, attrs.name)?.spec.machine === machine;
        // "secrets": the values its template takes from secrets, to start it (Registry.taskSecrets).
        if (READ.has(attrs.verb)) return isMine && (attrs.subresource === undefined || attrs.subresource === 'status' || (attrs.subresource === 'secrets' && attrs.verb === 'get'));
        if (attrs.verb === 'update' || attrs.verb === 'patch') return isMine && (attrs.subresource === undefined || attrs.subresource === 'status');
        return false;
      }
      case 'datasets': {
        if (READ.has(attrs.verb) && attrs.subresource === undefined) return true;
        if (attrs.name === undefined || attrs.namespace === undefined) return false;
        const ds = this.source.dataset(attrs.namespace, attrs.name);
        // "content": the live copy's bytes, streamed from its holder, for the new primary only (a move).
        if (attrs.subresource === 'content') return attrs.verb === 'get' && ds?.spec.primary === machine && ds.status?.machine !== machine;
        if (attrs.subresource === 'status') return (READ.has(attrs.verb) || attrs.verb === 'update' || attrs.verb === 'patch') && datasetInvolves(ds, machine);
        return false;
      }
      // Every service's Endpoints: the layer 4 listeners on each agent forward to any service's tasks.
      case 'leases':
      case 'endpoints':
        return READ.has(attrs.verb) && attrs.subresource === undefined;
      case 'namespaces':
      case 'system':
        return READ.has(attrs.verb) && attrs.subresource === undefined;
      default:
        return false;
    }
  }

  /**
   * What a node may change with a write its permissions allowed: on a task's main resource, only
   * its own finalizer's removal (not the template, the machine, or labels). A refusal message, or
   * undefined.
   */
  admit(p: Principal, attrs: Attributes, next: AnyObject, current: AnyObject | undefined): string | undefined {
    const machine = nodeMachine(p);
    if (machine === undefined || attrs.resource !== 'tasks' || attrs.subresource !== undefined || !current) return undefined;
    // As JSON documents: the decoded write and the stored object need not list keys in one order.
    const strip = (o: AnyObject) => ({ spec: o.spec, labels: o.metadata.labels ?? {}, annotations: o.metadata.annotations ?? {}, owners: o.metadata.ownerReferences ?? [] });
    const removedOnly = (next.metadata.finalizers ?? []).every((f) => current.metadata.finalizers?.includes(f));
    if (!sameJson(strip(next), strip(current)) || !removedOnly) return `agent of machine ${machine} may only remove its finalizer from a task's metadata; status goes to /status`;
    return undefined;
  }
}
