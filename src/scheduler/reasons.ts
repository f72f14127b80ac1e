// Why a task cannot be placed, in words: one failure per machine, summarised per kind and
// detail ("3 lack label region=eu, 2 have insufficient memory (need 64Mi, most free 32Mi)").
import type { Ask } from './cluster.js';
import { formatBytes, formatCpuMilli } from '../model/quantity.js';

export type FailureKind = 'pinned' | 'unschedulable' | 'label' | 'machineOf' | 'conflict' | 'port' | 'dynamicPorts' | 'cpu' | 'memory';
/** Why one machine cannot take a task; `free` is the machine's free amount for cpu/memory failures. */
export interface Failure {
  kind: FailureKind;
  detail: string;
  free: number;
}

const KIND_ORDER: FailureKind[] = ['pinned', 'unschedulable', 'label', 'machineOf', 'conflict', 'port', 'dynamicPorts', 'cpu', 'memory'];

export function describeLabel(key: string, values: string[]): string {
  return values.length === 1 ? `${key}=${values[0]}` : `${key} in (${values.join(', ')})`;
}

/** "3 lack label region=eu, 2 have insufficient memory (need 64Mi, most free 32Mi)". */
export function summarise(failures: readonly Failure[], ask: Ask): string {
  const groups = new Map<string, { f: Failure; count: number; free: number }>();
  for (const f of failures) {
    const key = `${f.kind}\0${f.detail}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { f, count: 1, free: f.free });
    else {
      g.count++;
      if (f.free > g.free) g.free = f.free;
    }
  }
  return [...groups.values()]
    .sort((a, b) => KIND_ORDER.indexOf(a.f.kind) - KIND_ORDER.indexOf(b.f.kind) || b.count - a.count || (a.f.detail < b.f.detail ? -1 : 1))
    .map((g) => `${g.count} ${describe(g.f, g.count, g.free, ask)}`)
    .join(', ');
}

export function describe(f: Failure, count: number, free: number, ask: Ask): string {
  const one = count === 1;
  const most = one ? 'free' : 'most free';
  switch (f.kind) {
    case 'pinned':
      return `${one ? 'is' : 'are'} not the pinned machine "${f.detail}"`;
    case 'unschedulable':
      return `${one ? 'is' : 'are'} unschedulable`;
    case 'label':
      return `${one ? 'lacks' : 'lack'} label ${f.detail}`;
    case 'machineOf':
      return `${one ? 'runs' : 'run'} no task of service "${f.detail}" (machineOf)`;
    case 'conflict':
      return `${one ? 'runs' : 'run'} a conflicting task (${f.detail})`;
    case 'port':
      return `${one ? 'has' : 'have'} port ${f.detail} in use`;
    case 'dynamicPorts':
      return `${one ? 'has' : 'have'} no free ${f.detail} port in the dynamic range ${ask.portRange.from}-${ask.portRange.to}`;
    case 'cpu':
      return `${one ? 'has' : 'have'} insufficient cpu (need ${formatCpuMilli(ask.cpuMilli)}, ${most} ${formatCpuMilli(free)})`;
    case 'memory':
      return `${one ? 'has' : 'have'} insufficient memory (need ${formatBytes(ask.memoryBytes)}, ${most} ${formatBytes(free)})`;
  }
}
