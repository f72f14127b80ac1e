// Every kind the native API serves. Adding a kind: its own file, plus one line here.
import type { Kind } from './kind.js';
import { tokens, users } from './credentials.js';
import { datasets } from './datasets.js';
import { endpoints } from './endpoints.js';
import { events } from './events.js';
import { ingresses } from './ingresses.js';
import { jobs } from './jobs.js';
import { cronJobs } from './cronjobs.js';
import { clusters } from './clusters.js';
import { containerManagers } from './container-managers.js';
import { hosts } from './hosts.js';
import { installations } from './installations.js';
import { leases } from './leases.js';
import { machines } from './machines.js';
import { namespaces } from './namespaces.js';
import { networks } from './networks.js';
import { clusterRoleBindings, clusterRoles, roleBindings, roles } from './roles.js';
import { operations } from './operations.js';
import { packages } from './packages.js';
import { secrets } from './secrets.js';
import { services } from './services.js';
import { tasks } from './tasks.js';

export const kinds: Kind[] = [machines, services, tasks, operations, secrets, datasets, hosts, clusters, networks, containerManagers, packages, installations, leases, endpoints, ingresses, jobs, cronJobs, namespaces, roles, roleBindings, clusterRoles, clusterRoleBindings, events] as unknown as Kind[];

/** Kinds kept in the state but not served by the generic routes (their objects hold hashes). */
export const internalKinds: Kind[] = [tokens, users] as unknown as Kind[];
