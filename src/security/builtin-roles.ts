// The cluster roles every cluster has, defined here rather than stored (their names are
// reserved): what they allow is part of drover's security model, not of its data.
//   admin  everything
//   edit   create and change workloads, read their logs, exec into, port-forward to and kill their tasks; not
//          task status (agents and controllers write it), not running as root (tasks/root), not
//          choosing a machine past the scheduler (tasks/bind), not machines, roles or quota
//   view   read workloads, machines and namespaces, and task logs; not secrets' values, no exec
//          (edit and view only read Endpoints: the endpoints controller writes them)
//   agent  what a machine's agent needs; the node authorizer narrows it to its own machine
//          (every service's Endpoints: its layer 4 listeners forward to any service's tasks;
//          events: only about its own tasks)
//   ingress-proxy  what `drover proxy` needs: read Ingresses and Endpoints, write Ingresses' status
//   replicante-platform  what the Replicante platform façade needs: read nodes and the catalog,
//          start (and watch) operations; the operations' handlers do the writes
import type { PolicyRule } from '../model/index.js';

const READ = ['get', 'list', 'watch'];
/** Workload kinds, present and to come (secrets, datasets and jobs are other issues'). */
const WORKLOADS = ['services', 'tasks', 'secrets', 'datasets', 'leases', 'jobs', 'cronjobs', 'installations', 'ingresses'];
/** The infrastructure and catalog administrators manage and everyone may see (hosts never show their key: it is in a secret). */
const INFRA = ['hosts', 'clusters', 'networks', 'containermanagers', 'packages'];

export const BUILTIN_CLUSTER_ROLES: ReadonlyMap<string, readonly PolicyRule[]> = new Map<string, PolicyRule[]>([
  ['admin', [{ verbs: ['*'], resources: ['*'] }]],
  [
    'edit',
    [
      { verbs: ['*'], resources: WORKLOADS },
      { verbs: ['get', 'create'], resources: ['tasks/log', 'tasks/exec', 'tasks/kill', 'tasks/portforward'] },
      { verbs: READ, resources: ['machines', 'namespaces', 'operations', 'system', 'endpoints', 'events', ...INFRA] },
    ],
  ],
  [
    'view',
    [
      { verbs: READ, resources: ['services', 'tasks', 'endpoints', 'ingresses', 'datasets', 'leases', 'jobs', 'cronjobs', 'installations', 'machines', 'namespaces', 'operations', 'system', 'events', ...INFRA] },
      { verbs: ['get'], resources: ['tasks/log'] },
    ],
  ],
  [
    'agent',
    [
      { verbs: ['*'], resources: ['machines', 'machines/status'] },
      { verbs: READ, resources: ['tasks', 'secrets', 'datasets', 'leases', 'endpoints', 'namespaces', 'system'] },
      { verbs: ['update', 'patch'], resources: ['tasks', 'tasks/status', 'datasets/status'] },
      { verbs: ['get'], resources: ['datasets/content'] },
      { verbs: ['get', 'create', 'update'], resources: ['events'] },
    ],
  ],
  [
    'ingress-proxy',
    [
      { verbs: READ, resources: ['ingresses', 'endpoints'] },
      { verbs: ['get', 'update', 'patch'], resources: ['ingresses/status'] },
    ],
  ],
  [
    'replicante-platform',
    [
      { verbs: [...READ, 'create'], resources: ['operations'] },
      { verbs: READ, resources: ['installations', 'services', 'tasks', 'machines', 'packages'] },
    ],
  ],
]);
