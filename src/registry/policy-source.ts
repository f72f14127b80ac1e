// The server's authorizer over the state's caches: roles and bindings for RBAC, tasks for the
// node authorizer. Read in memory on every request; rebuilt only after a role or binding changes.
import type { Dataset, Event, Task } from '../model/index.js';
import { ClusterAuthorizer } from '../security/cluster-authorizer.js';
import type { State } from '../state/state.js';

const POLICY_KINDS = ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'];

export function clusterAuthorizer(state: State): ClusterAuthorizer {
  const served = new Set(state.kinds().map((k) => k.plural));
  return new ClusterAuthorizer({
    list: (plural) => (served.has(plural) ? state.cache(plural).values() : []),
    onChange: (listener) => {
      for (const plural of POLICY_KINDS) {
        if (served.has(plural)) state.cache(plural).subscribe({}, { send: () => listener(), bookmark: () => {} });
      }
    },
    task: (namespace, name) => (served.has('tasks') ? (state.cache('tasks').get(`${namespace}/${name}`)?.object as Task | undefined) : undefined),
    dataset: (namespace, name) => (served.has('datasets') ? (state.cache('datasets').get(`${namespace}/${name}`)?.object as Dataset | undefined) : undefined),
    event: (namespace, name) => (served.has('events') ? (state.cache('events').get(`${namespace}/${name}`)?.object as Event | undefined) : undefined),
  });
}
