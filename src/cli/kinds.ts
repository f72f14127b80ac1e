// Kinds as the command line names them (kubectl habits: plural, singular, short names,
// "service/web"), and the table columns that matter for each.
import type { Client, Cluster, Machine, Operation, ResourceClient, Service, Task } from '../client/client.js';
import { CATALOG_FILE_LABEL, MAINTENANCE_CONDITION, type AnyObject, type Installation, type Package } from '../model/index.js';
import { datasetColumns, leaseColumns } from './dataset-views.js';
import { endpointsColumns } from './endpoints-views.js';
import { eventColumns } from './event-views.js';
import { ingressColumns } from './ingress-views.js';
import { cronJobColumns, jobColumns } from './job-views.js';
import { age, UsageError } from './output.js';

export interface CliKind {
  kind: string;
  plural: string;
  /** Lower-case kind, as in "service/web". */
  singular: string;
  /** Its objects live in a namespace (-n, -A apply). */
  namespaced: boolean;
}

// The names the server's kinds declare (src/api/kinds/*.ts shortNames), kept here so the CLI
// starts without loading the server's schemas.
const cliKinds: { kind: string; plural: string; aliases: string[]; namespaced?: boolean }[] = [
  { kind: 'Machine', plural: 'machines', aliases: ['machine', 'mach', 'node', 'nodes'] },
  { kind: 'Service', plural: 'services', aliases: ['service', 'svc'], namespaced: true },
  { kind: 'Task', plural: 'tasks', aliases: ['task', 'ps', 'process', 'processes'], namespaced: true },
  { kind: 'Operation', plural: 'operations', aliases: ['operation', 'op', 'ops'] },
  { kind: 'Namespace', plural: 'namespaces', aliases: ['namespace', 'ns'] },
  { kind: 'Secret', plural: 'secrets', aliases: ['secret'], namespaced: true },
  { kind: 'Dataset', plural: 'datasets', aliases: ['dataset', 'ds'], namespaced: true },
  { kind: 'Lease', plural: 'leases', aliases: ['lease'], namespaced: true },
  { kind: 'Endpoints', plural: 'endpoints', aliases: ['endpoint', 'ep'], namespaced: true },
  { kind: 'Ingress', plural: 'ingresses', aliases: ['ingress', 'ing'], namespaced: true },
  { kind: 'Job', plural: 'jobs', aliases: ['job'], namespaced: true },
  { kind: 'CronJob', plural: 'cronjobs', aliases: ['cronjob', 'cj'], namespaced: true },
  { kind: 'Host', plural: 'hosts', aliases: ['host'] },
  { kind: 'Cluster', plural: 'clusters', aliases: ['cluster'] },
  { kind: 'Network', plural: 'networks', aliases: ['network', 'net'] },
  { kind: 'ContainerManager', plural: 'containermanagers', aliases: ['containermanager', 'cm'] },
  { kind: 'Package', plural: 'packages', aliases: ['package', 'pkg'] },
  { kind: 'Installation', plural: 'installations', aliases: ['installation', 'inst'], namespaced: true },
  { kind: 'Event', plural: 'events', aliases: ['event', 'ev'], namespaced: true },
];

function cliKind(k: (typeof cliKinds)[number]): CliKind {
  return { kind: k.kind, plural: k.plural, singular: k.kind.toLowerCase(), namespaced: k.namespaced === true };
}

/** Every word that names a kind (plurals, singulars and short names), for completion. */
export function kindWords(): string[] {
  return cliKinds.flatMap((k) => [k.plural, k.kind.toLowerCase(), ...k.aliases]);
}

/** The plurals, in the order help texts list them. */
export function kindPlurals(): string[] {
  return cliKinds.map((k) => k.plural);
}

export function resolveKind(arg: string): CliKind {
  const a = arg.toLowerCase();
  for (const k of cliKinds) {
    if (a === k.plural || a === k.kind.toLowerCase() || k.aliases.includes(a)) return cliKind(k);
  }
  throw new UsageError(`unknown kind "${arg}"; use one of ${cliKinds.map((k) => k.plural).join(', ')} (or a short name like svc, node, op)`);
}

/** The kind of a manifest's `kind` field ("Service"). */
export function kindOfManifest(kind: string): CliKind | undefined {
  const k = cliKinds.find((c) => c.kind === kind);
  return k && cliKind(k);
}

/**
 * The kind's client: a namespaced kind's in `namespace` (an object's own, a manifest's), else in
 * the command's (-n, the context's, "default"; none with -A).
 */
export function resourceOf(client: Client, kind: CliKind, namespace?: string): ResourceClient<AnyObject> {
  return client.resource<AnyObject>(kind.plural, kind.namespaced ? (namespace ?? client.options.namespace) : undefined);
}

/** "service/web" → kind and name; "web" alone needs `defaultKind`. */
export function parseRef(arg: string, defaultKind?: string): { kind: CliKind; name: string } {
  const slash = arg.indexOf('/');
  if (slash > 0) return { kind: resolveKind(arg.slice(0, slash)), name: arg.slice(slash + 1) };
  if (!defaultKind) throw new UsageError(`expected KIND/NAME like service/web, got "${arg}"`);
  return { kind: resolveKind(defaultKind), name: arg };
}

const ownerOf = (t: AnyObject) => t.metadata.ownerReferences?.find((r) => r.controller)?.name ?? t.metadata.ownerReferences?.[0]?.name ?? '';

/** The Ready condition as a word, with cordoning as kubectl shows it. */
export function machineStatus(m: Machine): string {
  const ready = m.status?.conditions?.find((c) => c.type === 'Ready');
  let s = ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown';
  if (m.spec?.unschedulable) s += ',SchedulingDisabled';
  // As kubectl shows cordoning; a window yet to open is not shown here (describe shows it).
  if (m.status?.conditions?.some((c) => c.type === MAINTENANCE_CONDITION && c.status === 'True')) s += ',Maintenance';
  return s;
}

export const isLiveTask = (t: Task) => !['Succeeded', 'Failed', 'Lost'].includes(t.status?.phase ?? '') && !t.metadata.deletionTimestamp;

export function labelsText(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : '<none>';
}

export function shortId(id: string | undefined): string {
  if (!id) return '<none>';
  return /^[0-9a-f]{32}$/.test(id) ? id.slice(0, 8) : id;
}

export function templateText(t: Task['spec']['template'] | undefined): string {
  if (!t) return '';
  if (t.command) return [...t.command, ...(t.args ?? [])].join(' ');
  const exec = t.unit?.find((o) => o.section === 'Service' && o.name === 'ExecStart');
  return exec ? exec.value : t.unit ? '<unit>' : '';
}

export interface TableContext {
  /** Live tasks per machine name (machines' TASKS column). */
  tasksPerMachine?: Map<string, number>;
  now: number;
}

export interface Columns {
  header: string[];
  row(obj: AnyObject, ctx: TableContext): string[];
  /** Index of the column to colour. */
  colour: number;
}

/** The columns of a list across namespaces (-A): NAMESPACE first, as kubectl shows it. */
export function withNamespaceColumn(cols: Columns): Columns {
  return {
    header: ['NAMESPACE', ...cols.header],
    colour: cols.colour >= 0 ? cols.colour + 1 : cols.colour,
    row: (o, ctx) => [o.metadata.namespace ?? '', ...cols.row(o, ctx)],
  };
}

export function columnsFor(kind: CliKind, wide: boolean): Columns {
  switch (kind.plural) {
    case 'machines':
      return {
        header: ['NAME', 'STATUS', 'ADDRESS', 'CPU', 'MEMORY', 'TASKS', 'LABELS', 'AGE', ...(wide ? ['HOSTNAME', 'VERSION'] : [])],
        colour: 1,
        row: (o, ctx) => {
          const m = o as Machine;
          const cap = m.status?.allocatable ?? m.status?.capacity;
          return [
            m.metadata.name,
            machineStatus(m),
            m.status?.address ?? '<none>',
            String(cap?.cpu ?? '-'),
            bytesText(cap?.memory),
            String(ctx.tasksPerMachine?.get(m.metadata.name) ?? 0),
            labelsText(m.metadata.labels),
            age(m.metadata.createdAt, ctx.now),
            ...(wide ? [m.status?.hostname ?? '', m.status?.agentVersion ?? ''] : []),
          ];
        },
      };
    case 'services':
      return {
        header: ['NAME', 'READY', 'DESIRED', 'STATE', 'AGE', ...(wide ? ['UP-TO-DATE', 'TARGET', 'COMMAND'] : [])],
        colour: 3,
        row: (o, ctx) => {
          const s = o as Service;
          return [
            s.metadata.name,
            String(s.status?.readyReplicas ?? 0),
            s.spec.global ? `${s.status?.desiredReplicas ?? '-'} (global)` : String(s.spec.replicas ?? 1),
            s.status?.state ?? (s.spec.desiredState === 'inactive' ? 'inactive' : 'pending'),
            age(s.metadata.createdAt, ctx.now),
            ...(wide ? [String(s.status?.updatedReplicas ?? 0), s.spec.desiredState ?? 'running', templateText(s.spec.template)] : []),
          ];
        },
      };
    case 'tasks':
      return {
        header: ['NAME', 'SERVICE', 'MACHINE', 'PHASE', 'RESTARTS', 'AGE', ...(wide ? ['PID', 'EXIT', 'COMMAND'] : [])],
        colour: 3,
        row: (o, ctx) => {
          const t = o as Task;
          const phase = t.metadata.deletionTimestamp && isLiveTask({ ...t, metadata: { ...t.metadata, deletionTimestamp: undefined } }) ? 'Terminating' : (t.status?.phase ?? 'Pending');
          return [
            t.metadata.name,
            ownerOf(t) || '<none>',
            wide ? (t.spec.machine ?? '<none>') : shortId(t.spec.machine),
            phase,
            String(t.status?.restarts ?? 0),
            age(t.metadata.createdAt, ctx.now),
            ...(wide ? [t.status?.pid ? String(t.status.pid) : '-', t.status?.exitCode ?? t.status?.signal ?? '-', templateText(t.spec.template)].map(String) : []),
          ];
        },
      };
    case 'operations':
      return {
        header: ['NAME', 'TYPE', 'TARGET', 'PHASE', 'PROGRESS', 'AGE', ...(wide ? ['MESSAGE'] : [])],
        colour: 3,
        row: (o, ctx) => {
          const op = o as Operation;
          const p = op.status?.progress;
          return [
            op.metadata.name,
            op.spec.type,
            op.spec.target ? `${op.spec.target.kind.toLowerCase()}/${op.spec.target.name}` : '<none>',
            op.status?.phase ?? 'Pending',
            p ? `${p.completed}/${p.total}` : '-',
            age(op.metadata.createdAt, ctx.now),
            ...(wide ? [op.status?.error ?? p?.message ?? ''] : []),
          ];
        },
      };
    case 'secrets':
      return {
        header: ['NAME', 'KEYS', 'AGE'],
        colour: -1,
        row: (o, ctx) => [o.metadata.name, Object.keys((o.spec as { data?: object }).data ?? {}).join(',') || '<none>', age(o.metadata.createdAt, ctx.now)],
      };
    case 'datasets':
      return datasetColumns(wide);
    case 'leases':
      return leaseColumns;
    case 'endpoints':
      return endpointsColumns;
    case 'events':
      return eventColumns;
    case 'ingresses':
      return ingressColumns;
    case 'jobs':
      return jobColumns;
    case 'cronjobs':
      return cronJobColumns;
    case 'hosts':
      return {
        header: ['NAME', 'ADDRESS', 'STATUS', 'MACHINE', 'OS', 'CPUS', 'REASON', 'AGE'],
        colour: 2,
        row: (h, ctx) => [
          h.metadata.name,
          `${String(h.spec?.address ?? '')}:${String(h.spec?.port ?? 22)}`,
          String(h.status?.phase ?? 'pending'),
          shortId(h.status?.machine as string | undefined),
          String(h.status?.os ?? ''),
          h.status?.cpus === undefined ? '' : String(h.status.cpus),
          String(h.status?.reason ?? ''),
          age(h.metadata.createdAt, ctx.now),
        ],
      };
    case 'clusters':
      return {
        header: ['NAME', 'STATUS', 'HOSTS', 'NETWORK', 'CONTAINER-MANAGER', 'AGE'],
        colour: 1,
        row: (o, ctx) => {
          const c = o as Cluster;
          const refs = c.status?.conditions?.find((x) => x.type === 'References');
          return [
            c.metadata.name,
            // A missing network or container manager is worth seeing in the list, not only in describe.
            `${c.status?.phase ?? 'pending'}${refs?.status === 'False' ? `,${refs.reason ?? 'Unresolved'}` : ''}`,
            c.status?.hosts ? `${c.status.hosts.available}/${c.status.hosts.total}` : '0/0',
            c.spec?.network ?? 'default',
            c.spec?.containerManager ?? '<none>',
            age(c.metadata.createdAt, ctx.now),
          ];
        },
      };
    case 'networks':
    case 'containermanagers':
      return {
        header: ['NAME', 'TYPE', 'OPTIONS', 'AGE'],
        colour: -1,
        row: (o, ctx) => {
          const spec = (o.spec ?? {}) as { type?: string; options?: Record<string, unknown> };
          const options = Object.entries(spec.options ?? {}).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
          return [o.metadata.name, spec.type ?? '', options.join(',') || '<none>', age(o.metadata.createdAt, ctx.now)];
        },
      };
    case 'packages':
      return {
        header: ['NAME', 'PACKAGE', 'VERSION', 'STORE', 'DESCRIPTION', ...(wide ? ['SOURCE'] : [])],
        colour: -1,
        row: (o) => {
          const p = o as Package;
          return [p.metadata.name, p.spec.package, p.spec.version, p.spec.store ?? '', p.spec.description ?? '', ...(wide ? [p.metadata.labels?.[CATALOG_FILE_LABEL] ?? 'api'] : [])];
        },
      };
    case 'installations':
      return {
        header: ['NAME', 'PACKAGE', 'VERSION', 'STATUS', 'SERVICE', 'AGE', ...(wide ? ['MESSAGE'] : [])],
        colour: 3,
        row: (o, ctx) => {
          const i = o as Installation;
          return [
            i.metadata.name,
            i.spec.package,
            i.status?.version ?? i.spec.version ?? '<newest>',
            i.status?.phase ?? 'Pending',
            i.status?.service ?? '<none>',
            age(i.metadata.createdAt, ctx.now),
            ...(wide ? [i.status?.message ?? ''] : []),
          ];
        },
      };
    default:
      return {
        header: ['NAME', 'AGE'],
        colour: -1,
        row: (o, ctx) => [o.metadata.name, age(o.metadata.createdAt, ctx.now)],
      };
  }
}

/** Task order for ps and get tasks: running first, then by service and name. */
export function taskOrder(a: Task, b: Task): number {
  const rank = (t: Task) => (t.status?.phase === 'Running' ? 0 : isLiveTask(t) ? 1 : 2);
  return rank(a) - rank(b) || ownerOf(a).localeCompare(ownerOf(b)) || a.metadata.name.localeCompare(b.metadata.name);
}

export { ownerOf };

/** Memory as people read it: 25276510208 → 23.5Gi; strings ("64Mi") as given. */
export function bytesText(v: number | string | undefined): string {
  if (v === undefined) return '-';
  if (typeof v === 'string') return v;
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];
  let n = v;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 || n >= 100 ? Math.round(n) : n.toFixed(1).replace(/\.0$/, '')}${units[i]}`;
}
