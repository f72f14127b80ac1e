// The kinds drover serves, by name and by the plural used in URLs and store keys.

export const KINDS = {
  Machine: 'machines',
  Service: 'services',
  Task: 'tasks',
  Operation: 'operations',
  Namespace: 'namespaces',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  ClusterRole: 'clusterroles',
  ClusterRoleBinding: 'clusterrolebindings',
  Secret: 'secrets',
  Dataset: 'datasets',
  Lease: 'leases',
  Host: 'hosts',
  Cluster: 'clusters',
  Network: 'networks',
  ContainerManager: 'containermanagers',
  Package: 'packages',
  Installation: 'installations',
  Endpoints: 'endpoints',
  Event: 'events',
  Ingress: 'ingresses',
  Job: 'jobs',
  CronJob: 'cronjobs',
} as const;

export type KindName = keyof typeof KINDS;
export type Plural = (typeof KINDS)[KindName];
