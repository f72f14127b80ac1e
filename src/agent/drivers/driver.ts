// What runs a task. The agent's runtime knows tasks and policies; a driver knows how to turn a
// task template into processes, and how to find them again after an agent restart.
import type { Task } from '../../client/client.js';
import type { ProcessId } from '../proc.js';
import type { ExitStatus, MemoryExceeded } from '../supervisor.js';

export interface UnitState {
  load: string;
  active: string;
  sub: string;
  /** SHA-1 of the unit file (fleet's UnitState.hash), for unit tasks. */
  hash?: string;
}

/** What to do when a run ends on its own: the driver's own restart rules (unit: Restart=). */
export interface RestartDecision {
  policy: 'always' | 'on-failure' | 'never';
  /** The least delay before the restart (unit: RestartSec=); backoff may make it longer. */
  delayMs?: number;
  /** Restart after exactly delayMs, no backoff (systemd restarts a unit after RestartSec=, every time). */
  fixedDelay?: boolean;
  /** More starts than `burst` within `intervalMs` end the task failed (systemd's start-limit-hit). */
  startLimit?: { intervalMs: number; burst: number };
}

export interface Run {
  /** The task's main process id, once known. */
  readonly pid: number | undefined;
  /** Resolves when the run has ended for good (all its processes gone). */
  readonly exited: Promise<ExitStatus>;
  /** Graceful stop: the driver's stop commands or SIGTERM, SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<ExitStatus>;
  signal(signal: NodeJS.Signals): boolean;
  /** systemd-style state, for drivers that have one (unit). */
  unitState?(): UnitState;
  /** What the run has to say in the task's status message once started (a timer: its next elapse). */
  message?(): string;
  /** Stop watching without touching processes (agent shutdown). */
  detach(): void;
  /** The run's supervisor shim: every process of the run descends from it. Runs that have one are measured (`drover top`). */
  readonly supervisor?: ProcessId;
  /** Kills every process of the run for using more memory than its limit; its exit then carries `memoryExceeded`. */
  killForMemory?(exceeded: MemoryExceeded, pids: number[]): void;
}

export interface StartContext {
  /** The task's directory in the agent's data dir (logs, run files). */
  dir: string;
  /** Environment every task gets (PATH, DROVER_TASK…). */
  baseEnv: Record<string, string>;
  /** Called when a unit's state moves while it starts or stops. */
  onUnitState?: (state: UnitState) => void;
  /** Called with what the run has to say in the task's status message (a timer: its next elapse). */
  onMessage?: (message: string) => void;
  /** The other units of this machine, for a timer to start the one it activates. */
  units?: MachineUnits;
}

/**
 * The units on this machine as a timer sees them (systemd's trigger): a unit is a task here with
 * unit options, named as its unit ("backup.service").
 */
export interface MachineUnits {
  /** Starts one run of the unit `name`, loaded here; undefined when it started or is active already, else why it cannot. */
  activate(name: string): string | undefined;
  /** When `name` last became active, and inactive, on this machine (ms since the epoch). */
  lastActiveAt(name: string): number | undefined;
  lastInactiveAt(name: string): number | undefined;
  /** Calls `onChange` whenever `name` becomes active or inactive here; returns the way to stop. */
  watch(name: string, onChange: () => void): () => void;
  /** Calls `fn` once every unit of this machine is known (the agent's first sync), at once if it is. */
  whenKnown(fn: () => void): void;
}

export interface Driver {
  readonly name: string;
  /** Starts a run; resolves once the main process runs (or the run ended already). */
  start(task: Task, ctx: StartContext): Promise<Run>;
  /** The run a previous agent left in `dir`, if any. */
  adopt(task: Task, ctx: StartContext): Run | undefined;
  /** The restart policy for a run of `task` that ended with `exit`; when absent, the template's restartPolicy applies. */
  restartPolicy?(task: Task, exit: ExitStatus): RestartDecision;
  /** The hash reported with the task's unitState, for drivers that have one (unit). */
  unitHash?(task: Task): string | undefined;
}

/**
 * A driver cannot run the task on this machine as it is (no container engine): the task is not
 * failed but left waiting, its status saying why (`reason`, `message`).
 */
export class TaskCannotStart extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}
