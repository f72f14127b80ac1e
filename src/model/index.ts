// The drover model: the types of every kind, their phases, finalizers and labels, and the
// translation between a unit file and a Service. Dependency-free (pure code only), so the CLI,
// the agent, the controllers, the façades and the registry all share it.
export * from './meta.js';
export * from './template.js';
export * from './quantity.js';
export * from './usage.js';
export * from './machine.js';
export * from './service.js';
export * from './task.js';
export * from './operation.js';
export * from './credentials.js';
export * from './secret.js';
export * from './dataset.js';
export * from './host.js';
export * from './cluster.js';
export * from './network.js';
export * from './container-manager.js';
export * from './package.js';
export * from './installation.js';
export * from './kinds.js';
export * from './unit-service.js';
export * from './verbs.js';
export * from './namespace.js';
export * from './rbac.js';
export * from './quota.js';
export * from './json.js';
export * from './replicante.js';
export * from './endpoints.js';
export * from './ingress.js';
export * from './job.js';
export * from './cronjob.js';
export * from './event.js';
export * from './checks.js';
export * from './restart.js';
