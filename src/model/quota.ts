// Namespace quota, pure: what a namespace's live tasks use of its quota, and whether one more
// task would exceed it (the message names the quota, what is used, what is asked, the limit).
import type { NamespaceQuota } from './namespace.js';
import { formatBytes, formatCpuMilli, parseBytes, parseCpuMilli, resourceRequest } from './quantity.js';
import type { Task } from './task.js';
import { TERMINAL_PHASES } from './task.js';

export interface QuotaUsage {
  cpuMilli: number;
  memoryBytes: number;
  tasks: number;
}

/** Counts toward quota: not finished, not being deleted. */
export function countsTowardQuota(t: Task): boolean {
  return !TERMINAL_PHASES.has(t.status?.phase ?? '') && !t.metadata.deletionTimestamp;
}

/** What one task asks of its namespace's quota. */
export function taskAsk(t: Pick<Task, 'spec'>): QuotaUsage {
  let r = { cpuMilli: 0, memoryBytes: 0 };
  try {
    r = resourceRequest(t.spec.template.resources);
  } catch {
    // validation refuses unparseable quantities before a task exists
  }
  return { ...r, tasks: 1 };
}

export function usageOf(tasks: Iterable<Task>): QuotaUsage {
  const used: QuotaUsage = { cpuMilli: 0, memoryBytes: 0, tasks: 0 };
  for (const t of tasks) {
    if (!countsTowardQuota(t)) continue;
    const a = taskAsk(t);
    used.cpuMilli += a.cpuMilli;
    used.memoryBytes += a.memoryBytes;
    used.tasks += 1;
  }
  return used;
}

export function addUsage(a: QuotaUsage, b: QuotaUsage): QuotaUsage {
  return { cpuMilli: a.cpuMilli + b.cpuMilli, memoryBytes: a.memoryBytes + b.memoryBytes, tasks: a.tasks + b.tasks };
}

/**
 * Why `ask` on top of `used` exceeds `quota` of namespace `namespace`, or undefined when it
 * fits: `exceeded quota of namespace "team": requested cpu=2, used 3, limited 4`.
 */
export function quotaExcess(namespace: string, quota: NamespaceQuota | undefined, used: QuotaUsage, ask: QuotaUsage): string | undefined {
  if (!quota) return undefined;
  const over = (what: string, asked: number, usedNow: number, limit: number, fmt: (n: number) => string) =>
    usedNow + asked > limit ? `exceeded quota of namespace "${namespace}": requested ${what}=${fmt(asked)}, used ${fmt(usedNow)}, limited ${fmt(limit)}` : undefined;
  const cores = (milli: number) => formatCpuMilli(milli);
  return (
    (quota.tasks !== undefined ? over('tasks', ask.tasks, used.tasks, quota.tasks, String) : undefined) ??
    (quota.cpu !== undefined ? over('cpu', ask.cpuMilli, used.cpuMilli, parseCpuMilli(quota.cpu), cores) : undefined) ??
    (quota.memory !== undefined ? over('memory', ask.memoryBytes, used.memoryBytes, parseBytes(quota.memory), formatBytes) : undefined)
  );
}
