// Plain-data inputs and outputs of the scheduler. Controllers build these from the watch cache;
// the scheduler never sees API objects, so it stays pure and cheap to test.
import type { AllocatedPort, Constraints, ResolvedPort } from '../model/index.js';
import type { PortRange } from './ports.js';

export type { Constraints };

/** Millicores and bytes. Use Infinity for a machine that reports no limit. */
export interface ResourceAmounts {
  cpuMilli: number;
  memoryBytes: number;
}

export interface MachineView {
  /** The machine's name: its 32-hex machine ID. */
  name: string;
  labels: Record<string, string>;
  allocatable: ResourceAmounts;
  /** false when cordoned or not Ready: nothing new is placed there. */
  schedulable: boolean;
}

/** A task already bound to a machine (or still pending, then `machine` is absent and it is ignored). */
export interface TaskView {
  name: string;
  /** Owning service, for conflicts and machineOf; undefined for a one-off task. */
  service: string | undefined;
  machine?: string;
  request: ResourceAmounts;
  /** The owning service's conflict globs: they keep matching services off this task's machine. */
  conflicts?: string[];
  /** The host ports it holds on its machine. */
  ports?: readonly { port: number; protocol: 'tcp' | 'udp' }[];
}

export type Strategy = 'spread' | 'binpack';

export interface PlacementRequest {
  task: string;
  service: string | undefined;
  request: ResourceAmounts;
  constraints: Constraints;
  /** spread (default): fewest tasks, ties by machine name. binpack: least free cpu, then memory. */
  strategy?: Strategy;
  /** The template's ports (templatePorts): fixed ones must be free on the machine, dynamic ones are allocated there. */
  ports?: readonly ResolvedPort[];
}

export interface Placement {
  task: string;
  machine: string;
  /** The task's ports on that machine, in template order (none when it asked for none). */
  ports?: AllocatedPort[];
}

/** What a pass is told besides requests, machines and usage. */
export interface PassOptions {
  /** Where dynamic ports come from (default DEFAULT_PORT_RANGE, 20000-29999). */
  portRange?: PortRange;
}

export interface Unplaced {
  task: string;
  /** Why, per constraint: "0/5 machines fit: 3 lack label region=eu, 2 have insufficient memory (…)". */
  reason: string;
}

export interface PlacementResult {
  placements: Placement[];
  unplaced: Unplaced[];
}

/** A global service: one task on every eligible machine. */
export interface GlobalRequest {
  service: string;
  request: ResourceAmounts;
  constraints: Constraints;
  ports?: readonly ResolvedPort[];
}

export interface GlobalResult {
  /** Names of the machines that should run a task of the service, in name order. */
  machines: string[];
  /** Why the other machines are left out ("2/5 machines eligible: 3 lack label region=eu"); undefined when none is. */
  excluded: string | undefined;
}
