// `drover describe KIND NAME`: one object in readable form — metadata, spec, status,
// conditions, and what relates to it (a service's tasks, a machine's tasks, a task's last output).
import type { Command } from 'commander';
import type { Client, Dataset, Machine, Operation, Service, Task } from '../client/client.js';
import { JOB_LABEL, type AnyObject, type CronJob, type Job, type OperationStep } from '../model/index.js';
import { clientFor } from './config.js';
import { datasetFields, datasetLease, tasksMounting } from './dataset-views.js';
import { endpointLines, taskPortsText, templatePortsText } from './endpoints-views.js';
import { columnsFor, labelsText, machineStatus, ownerOf, parseRef, resolveKind, resourceOf, taskOrder, type CliKind } from './kinds.js';
import { resolveMachineName } from './machine-names.js';
import { printSteps } from './operation-views.js';
import { age, bold, colourState, printable, printTable, toYaml, UsageError } from './output.js';
import { examples } from './help.js';
import { printRecentEvents } from './event-views.js';
import { checkRows } from './check-views.js';
import { cronJobFields, jobFields } from './job-views.js';

export function registerDescribeCommand(program: Command): void {
  program
    .command('describe')
    .description('show one object in detail: spec, status, conditions and related tasks')
    .argument('<kind>', 'machine, service, task, operation or dataset (or KIND/NAME)')
    .argument('[name]', 'the object\'s name')
    .addHelpText(
      'after',
      examples(`
        drover describe service/web             # spec, status, conditions and its tasks
        drover describe machine 1a2b3c4d        # a machine by unique ID prefix
        drover describe task web-7f3k2          # with its last lines of output
        drover describe dataset db              # where it lives, its move, lease and the tasks mounting it
        drover describe operation op-7f3k2      # a cluster operation's step on each host`),
    )
    .action(async (kindArg: string, nameArg: string | undefined, _opts: unknown, cmd: Command) => {
      const ref = kindArg.includes('/') ? parseRef(kindArg) : { kind: resolveKind(kindArg), name: nameArg };
      if (!ref.name) throw new UsageError(`describe needs a name: drover describe ${ref.kind.singular} NAME`);
      const client = clientFor(cmd);
      const name = ref.kind.plural === 'machines' ? await resolveMachineName(client, ref.name) : ref.name;
      const obj = await resourceOf(client, ref.kind).get(name);
      await describe(client, ref.kind, obj);
    });
}

const field = (label: string, value: unknown) => console.log(`${bold(`${label}:`.padEnd(14))}${value === undefined || value === '' ? '<none>' : printable(String(value))}`);

function indented(title: string, v: unknown): void {
  console.log(bold(`${title}:`));
  const text = toYaml(v).trimEnd();
  for (const line of text.split('\n')) console.log(`  ${line}`);
}

async function describe(client: Client, kind: CliKind, obj: AnyObject): Promise<void> {
  const m = obj.metadata;
  field('Name', m.name);
  if (m.namespace !== undefined) field('Namespace', m.namespace);
  field('Kind', obj.kind);
  field('UID', m.uid);
  field('Labels', labelsText(m.labels));
  const annotations = Object.entries(m.annotations ?? {}).filter(([k]) => k !== 'drover.io/previous-template');
  field('Annotations', annotations.length ? annotations.map(([k, v]) => `${k}=${v}`).join(', ') : '<none>');
  field('Created', `${m.createdAt} (${age(m.createdAt)} ago)`);
  field('Revision', `${m.revision} (generation ${m.generation})`);
  if (m.ownerReferences?.length) field('Owned by', m.ownerReferences.map((r) => `${r.kind.toLowerCase()}/${r.name}`).join(', '));
  if (m.deletionTimestamp) field('Deleting', `since ${m.deletionTimestamp} (waiting for ${m.finalizers?.join(', ') || 'nothing'})`);

  switch (kind.plural) {
    case 'machines': {
      const mach = obj as Machine;
      field('Status', colourState(machineStatus(mach)));
      field('Address', mach.status?.address);
      field('Hostname', mach.status?.hostname);
      field('Agent', `${mach.status?.agentVersion ?? '<unknown>'}${mach.status?.agentEndpoint ? ` at ${mach.status.agentEndpoint}` : ''}`);
      field('Heartbeat', mach.status?.lastHeartbeat ? `${age(mach.status.lastHeartbeat)} ago` : '<never>');
      if (mach.status?.capacity) field('Capacity', Object.entries(mach.status.capacity).map(([k, v]) => `${k}=${v}`).join(', '));
      if (mach.status?.allocatable) field('Allocatable', Object.entries(mach.status.allocatable).map(([k, v]) => `${k}=${v}`).join(', '));
      break;
    }
    case 'services': {
      const s = obj as Service;
      field('State', colourState(s.status?.state ?? '<unknown>'));
      field('Replicas', `${s.status?.readyReplicas ?? 0} ready, ${s.status?.updatedReplicas ?? 0} up to date, ${s.status?.replicas ?? 0} total, ${s.status?.desiredReplicas ?? s.spec.replicas ?? 1} desired`);
      if (s.spec.paused) field('Rollout', 'paused (drover rollout resume service/' + s.metadata.name + ')');
      field('Ports', templatePortsText(s.spec.template));
      if (s.spec.ingress?.length) field('Ingress', s.spec.ingress.map((i) => `${i.port} → ${i.targetPort ?? 'first port'}`).join(', '));
      const ep = await client.endpoints.in(s.metadata.namespace).find(s.metadata.name).catch(() => undefined);
      const lines = endpointLines(ep);
      if (!lines) field('Endpoints', ep ? '<none> (no task placed)' : '<none>');
      else {
        const ready = ep!.status!.addresses!.filter((a) => a.ready).length;
        console.log(`${bold('Endpoints:')}     ${ready}/${ep!.status!.addresses!.length} ready`);
        printTable(lines.header, lines.rows, 1);
      }
      break;
    }
    case 'tasks': {
      const t = obj as Task;
      field('Phase', colourState(t.status?.phase ?? 'Pending'));
      field('Machine', t.spec.machine);
      field('Owner', t.metadata.ownerReferences?.find((r) => r.controller) ? `${t.metadata.ownerReferences.find((r) => r.controller)!.kind.toLowerCase()}/${ownerOf(t)}` : '<none> (one-off)');
      field('Ports', taskPortsText(t));
      if (t.status?.pid) field('PID', t.status.pid);
      if (t.status?.exitCode !== undefined && t.status.exitCode !== null) field('Exit code', t.status.exitCode);
      if (t.status?.signal) field('Signal', t.status.signal);
      field('Restarts', t.status?.restarts ?? 0);
      if (t.status?.startedAt) field('Started', t.status.startedAt);
      if (t.status?.finishedAt) field('Finished', t.status.finishedAt);
      if (t.status?.reason || t.status?.message) field('Message', `${t.status.reason ? `${t.status.reason}: ` : ''}${t.status.message ?? ''}`);
      if (t.status?.lastTermination) {
        const lt = t.status.lastTermination;
        field('Last ended', `${lt.reason}${lt.exitCode !== undefined && lt.exitCode !== null ? ` (exit code ${lt.exitCode})` : lt.signal ? ` (${lt.signal})` : ''} at ${lt.finishedAt}${lt.message ? `: ${lt.message}` : ''}`);
      }
      break;
    }
    case 'operations': {
      const op = obj as Operation;
      field('Phase', colourState(op.status?.phase ?? 'Pending'));
      if (op.status?.progress) field('Progress', `${op.status.progress.completed}/${op.status.progress.total}${op.status.progress.message ? ` ${op.status.progress.message}` : ''}`);
      if (op.spec.target) field('Target', `${op.spec.target.kind.toLowerCase()}/${op.spec.target.name}`);
      if (op.status?.error) field('Error', op.status.error);
      break;
    }
    case 'jobs':
      jobFields(obj as Job, field);
      break;
    case 'cronjobs':
      cronJobFields(obj as CronJob, field);
      break;
    case 'datasets': {
      datasetFields(obj as Dataset, field);
      field('Lease', await datasetLease(client, obj as Dataset));
      break;
    }
  }
  indented('Spec', obj.spec ?? {});
  const { conditions, ...rest } = (obj.status ?? {}) as { conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[]; steps?: OperationStep[] };
  // An operation's steps read as a table of their own (below), not as YAML in the status.
  const steps = kind.plural === 'operations' ? rest.steps : undefined;
  if (steps) delete rest.steps;
  // A task's check results read as a table of their own (below).
  if (kind.plural === 'tasks') delete (rest as { checks?: unknown }).checks;
  if (Object.keys(rest).length) indented('Status', rest);
  if (steps) printSteps(steps, (line) => console.log(line.startsWith('Steps:') ? bold(line) : line));
  if (conditions?.length) {
    console.log(bold('Conditions:'));
    printTable(
      ['  TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'],
      conditions.map((c) => [`  ${c.type}`, c.status, c.reason ?? '', c.lastTransitionTime ? age(c.lastTransitionTime) : '', c.message ?? '']),
      1,
    );
  }

  if (kind.plural === 'tasks' && (obj as Task).spec.template.checks?.length) {
    console.log(bold('Checks:'));
    printTable(['  NAME', 'ROLE', 'TYPE', 'STATUS', 'CHECKED', 'OUTPUT'], checkRows(obj as Task).map((r) => [`  ${r[0]}`, ...r.slice(1)]), 3);
  }

  // Related objects: what an operator looks at next.
  if (kind.plural === 'services' || kind.plural === 'machines' || kind.plural === 'datasets' || kind.plural === 'jobs') {
    const selector = kind.plural === 'services' ? `metadata.owner=${obj.metadata.name}` : kind.plural === 'jobs' ? undefined : `spec.machine=${obj.metadata.name}`;
    // A machine runs the tasks of every namespace; a service owns tasks of its own.
    const tasksClient = kind.plural === 'machines' ? client.resource<Task>('tasks') : client.tasks.in(obj.metadata.namespace);
    const related = kind.plural === 'datasets' ? tasksMounting(client, obj) : tasksClient.listAll(selector ? { fieldSelector: selector } : { labelSelector: `${JOB_LABEL}=${obj.metadata.name}` }).then((l) => l.items);
    const tasks = (await related).sort(taskOrder);
    console.log(bold('Tasks:'));
    if (tasks.length === 0) console.log('  <none>');
    else {
      const cols = columnsFor(resolveKind('tasks'), false);
      const ctx = { now: Date.now() };
      printTable(cols.header.map((h, i) => (i === 0 ? `  ${h}` : h)), tasks.map((t) => cols.row(t, ctx).map((c, i) => (i === 0 ? `  ${c}` : c))), cols.colour);
    }
  }
  if (kind.plural === 'tasks' && obj.spec?.machine) {
    try {
      const res = await client.fetch('GET', client.tasks.in(obj.metadata.namespace).pathOf(obj.metadata.name, '/log'), { query: { tail: 5 } });
      const text = res.ok ? await res.text() : '';
      console.log(bold('Last output:'));
      console.log(text.trim() ? text.trimEnd().split('\n').map((l) => `  ${printable(l)}`).join('\n') : '  <none>');
    } catch {
      // the agent is unreachable: describe still shows what the server knows
    }
  }
  if (kind.plural !== 'events') await printRecentEvents(client, obj);
}
