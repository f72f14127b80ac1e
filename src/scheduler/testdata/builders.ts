// Builders for scheduler tests: small machines and requests with readable defaults.
import type { Constraints, MachineView, PlacementRequest, Strategy, TaskView } from '../types.js';

export const Mi = 2 ** 20;
export const Gi = 2 ** 30;

export function machine(name: string, opts: { labels?: Record<string, string>; cpu?: number; mem?: number; schedulable?: boolean } = {}): MachineView {
  return {
    name,
    labels: opts.labels ?? {},
    allocatable: { cpuMilli: opts.cpu ?? 4000, memoryBytes: opts.mem ?? 8 * Gi },
    schedulable: opts.schedulable ?? true,
  };
}

export function request(
  task: string,
  opts: { service?: string; cpu?: number; mem?: number; strategy?: Strategy } & Constraints = {},
): PlacementRequest {
  const { service, cpu, mem, strategy, ...constraints } = opts;
  return {
    task,
    service: 'service' in opts ? service : task.replace(/-[0-9]+$/, ''),
    request: { cpuMilli: cpu ?? 0, memoryBytes: mem ?? 0 },
    constraints,
    strategy,
  };
}

export function running(name: string, machineName: string | undefined, opts: { service?: string; cpu?: number; mem?: number; conflicts?: string[] } = {}): TaskView {
  return {
    name,
    service: 'service' in opts ? opts.service : name.replace(/-[0-9]+$/, ''),
    machine: machineName,
    request: { cpuMilli: opts.cpu ?? 0, memoryBytes: opts.mem ?? 0 },
    conflicts: opts.conflicts,
  };
}
