// `drover top machines|tasks`: what machines and running tasks use, as their agents measured it
// (status.usage), kubectl top's way: CPU in millicores, memory in Mi, heaviest first with --sort-by.
import type { Command } from 'commander';
import type { Machine, Task } from '../client/client.js';
import { formatBytes, parseBytes, parseCpuMilli, type ResourceUsage } from '../model/index.js';
import { clientFor } from './config.js';
import { isLiveTask, shortId } from './kinds.js';
import { examples } from './help.js';
import { printTable, UsageError } from './output.js';

export type SortBy = 'cpu' | 'memory';

const NO_FIGURE = '<unknown>';

export function parseSortBy(v: string | undefined): SortBy | undefined {
  if (v === undefined || v === 'cpu' || v === 'memory') return v;
  throw new UsageError(`--sort-by must be cpu or memory, got "${v}"`);
}

/** 250 → "250m", as kubectl top prints cores. */
export function cpuText(milli: number): string {
  return `${milli}m`;
}

/** Whole mebibytes, as kubectl top prints memory: 201 MiB → "201Mi". */
export function memoryText(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)}Mi`;
}

function percent(used: number, of: number): string {
  return of > 0 && Number.isFinite(of) ? `${Math.round((used / of) * 100)}%` : '-';
}

/** Heaviest first by `by`, then by name; by name alone without it. */
function sortRows<T extends { name: string; usage?: ResourceUsage }>(rows: T[], by: SortBy | undefined): T[] {
  const key = (r: T) => (by === 'cpu' ? r.usage?.cpuMilli : r.usage?.memoryBytes) ?? -1;
  return [...rows].sort((a, b) => (by ? key(b) - key(a) : 0) || a.name.localeCompare(b.name));
}

export const MACHINE_HEADER = ['NAME', 'CPU', 'CPU%', 'MEMORY', 'MEMORY%', 'TASKS'];

/** One row per machine: used/allocatable CPU and memory, and its live tasks. */
export function machineRows(machines: Machine[], tasks: Task[], by?: SortBy): string[][] {
  const counts = new Map<string, number>();
  for (const t of tasks) if (t.spec.machine && isLiveTask(t)) counts.set(t.spec.machine, (counts.get(t.spec.machine) ?? 0) + 1);
  const rows = machines.map((m) => ({ name: m.metadata.name, usage: m.status?.usage, machine: m }));
  return sortRows(rows, by).map(({ name, usage, machine }) => {
    const cap = machine.status?.allocatable ?? machine.status?.capacity;
    const cpuCap = quantity(() => parseCpuMilli(cap?.cpu ?? ''));
    const memCap = quantity(() => parseBytes(cap?.memory ?? ''));
    const tasksText = String(counts.get(name) ?? 0);
    if (!usage) return [name, NO_FIGURE, NO_FIGURE, NO_FIGURE, NO_FIGURE, tasksText];
    return [
      name,
      `${cpuText(usage.cpuMilli)}/${cpuCap === undefined ? '-' : cpuText(cpuCap)}`,
      percent(usage.cpuMilli, cpuCap ?? 0),
      `${memoryText(usage.memoryBytes)}/${memCap === undefined ? '-' : memoryText(memCap)}`,
      percent(usage.memoryBytes, memCap ?? 0),
      tasksText,
    ];
  });
}

export const TASK_HEADER = ['NAME', 'MACHINE', 'CPU', 'MEMORY', 'LIMIT'];

/** One row per running task: what its processes use, and its memory limit. */
export function taskRows(tasks: Task[], by?: SortBy): string[][] {
  const running = tasks.filter((t) => t.status?.phase === 'Running' && !t.metadata.deletionTimestamp);
  const rows = running.map((t) => ({ name: t.metadata.name, usage: t.status?.usage, task: t }));
  return sortRows(rows, by).map(({ name, usage, task }) => {
    const limit = quantity(() => parseBytes(task.spec.template.resources?.memory ?? ''));
    return [
      name,
      shortId(task.spec.machine),
      usage ? cpuText(usage.cpuMilli) : NO_FIGURE,
      usage ? memoryText(usage.memoryBytes) : NO_FIGURE,
      limit ? formatBytes(limit) : '-',
    ];
  });
}

function quantity(parse: () => number): number | undefined {
  try {
    return parse();
  } catch {
    return undefined;
  }
}

interface TopOptions {
  selector?: string;
  sortBy?: string;
}

export function registerTopCommand(program: Command): void {
  const top = program
    .command('top')
    .description("show what machines and running tasks use (CPU and memory, as their agents measure it)")
    .addHelpText(
      'after',
      examples(`
        drover top machines                 # each machine's CPU and memory against what it offers
        drover top tasks --sort-by memory   # the heaviest tasks first`),
    );

  top
    .command('machines')
    .aliases(['machine', 'nodes', 'node'])
    .description('CPU and memory used on each machine, against what it offers, and its tasks')
    .option('-l, --selector <selector>', 'label selector')
    .option('--sort-by <what>', 'cpu or memory: heaviest first')
    .addHelpText(
      'after',
      examples(`
        drover top machines -l region=eu --sort-by cpu`),
    )
    .action(async (opts: TopOptions, cmd: Command) => {
      const by = parseSortBy(opts.sortBy);
      const client = clientFor(cmd);
      // A machine runs the tasks of every namespace.
      const [machines, tasks] = await Promise.all([client.machines.listAll({ labelSelector: opts.selector }), client.resource<Task>('tasks').listAll()]);
      if (machines.items.length === 0) return void console.error('no machines found');
      printTable(MACHINE_HEADER, machineRows(machines.items, tasks.items, by));
    });

  top
    .command('tasks')
    .aliases(['task', 'ps'])
    .description('CPU and memory used by each running task, and its memory limit')
    .option('-l, --selector <selector>', 'label selector')
    .option('--sort-by <what>', 'cpu or memory: heaviest first')
    .addHelpText(
      'after',
      examples(`
        drover top tasks -l app=web --sort-by memory`),
    )
    .action(async (opts: TopOptions, cmd: Command) => {
      const by = parseSortBy(opts.sortBy);
      const client = clientFor(cmd);
      const tasks = await client.tasks.listAll({ labelSelector: opts.selector, fieldSelector: 'status.phase=Running' });
      const rows = taskRows(tasks.items, by);
      if (rows.length === 0) return void console.error('no running tasks found');
      printTable(TASK_HEADER, rows);
    });
}
