// Task: one instance of a template on one machine. A task with no owner is a one-off process.
import type { ApiObject, Condition } from './meta.js';
import type { AllocatedPort, HealthCheck, TaskTemplate } from './template.js';
import type { ResourceUsage } from './usage.js';

/**
 * Unknown: its machine stopped sending heartbeats and nothing replaces the task (a one-off
 * task): it may well still be running there, and its agent says so when it is back.
 */
export const TASK_PHASES = ['Pending', 'Scheduled', 'Starting', 'Running', 'Stopping', 'Stopped', 'Succeeded', 'Failed', 'Lost', 'Unknown'] as const;
export type TaskPhase = (typeof TASK_PHASES)[number];

/** Phases the server never leaves once reached: a returning agent cannot revive a replaced task. */
export const TERMINAL_PHASES: ReadonlySet<string> = new Set<TaskPhase>(['Succeeded', 'Failed', 'Lost']);

/** Set on every bound task: its deletion waits until the agent has stopped it. */
export const AGENT_FINALIZER = 'drover.io/agent';

export type TaskDesiredState = 'running' | 'loaded' | 'stopped';

export interface TaskSpec {
  /** The machine it runs on; set by the scheduler. */
  machine?: string;
  template: TaskTemplate;
  desiredState?: TaskDesiredState;
  /** Host ports allocated on spec.machine, one per template port, in template order (set by the scheduler). */
  ports?: AllocatedPort[];
}

/** systemd-style states as fleet reports them. */
export interface UnitStateReport {
  load: string;
  active: string;
  sub: string;
  hash?: string;
}

/** How a task's previous run ended, kept while a restarted run goes on (Kubernetes' lastState.terminated). */
export interface TaskTermination {
  /** Completed, Error, OOMKilled. */
  reason: string;
  message?: string;
  /** Absent or null when killed by a signal (a merge patch drops nulls). */
  exitCode?: number | null;
  signal?: string | null;
  finishedAt: string;
}

/** Why a run was killed for its memory: the limit it exceeded and the usage that exceeded it. */
export const OOM_KILLED = 'OOMKilled';

export interface TaskStatus {
  phase?: TaskPhase;
  message?: string;
  reason?: string;
  pid?: number | null;
  exitCode?: number | null;
  signal?: string | null;
  restarts?: number;
  startedAt?: string;
  finishedAt?: string;
  observedGeneration?: number;
  conditions?: Condition[];
  unitState?: UnitStateReport;
  /** CPU and memory of the task's processes, as its agent last measured them. */
  usage?: ResourceUsage;
  lastTermination?: TaskTermination;
  /** Where each allocated port is reached: "host:port" by port name (written by the agent once running). */
  ports?: TaskPortStatus[];
  /** The last result of each health check (written by the agent). */
  checks?: CheckResult[];
}

export interface TaskPortStatus {
  name: string;
  port: number;
  protocol: 'tcp' | 'udp';
  /** "host:port", host being the machine's address. */
  address: string;
}

export interface CheckResult {
  name: string;
  role: NonNullable<HealthCheck['role']>;
  status: 'passing' | 'failing' | 'unknown';
  /** What the last attempt saw ("HTTP 503", "connection refused", the command's output tail). */
  output?: string;
  consecutiveFailures?: number;
  consecutiveSuccesses?: number;
  lastCheckedAt?: string;
  /** When status last changed. */
  lastTransitionTime?: string;
}

/**
 * The condition readiness checks drive: True once every readiness check passes (a task with none
 * is Ready while Running); its lastTransitionTime starts minReadySeconds.
 */
export const TASK_READY_CONDITION = 'Ready';
/** Reason of a restart the agent made because a liveness check failed. */
export const LIVENESS_FAILED = 'LivenessCheckFailed';

export type Task = ApiObject<TaskSpec, TaskStatus>;

export function isTerminal(t: Task): boolean {
  return TERMINAL_PHASES.has(t.status?.phase ?? '');
}

/**
 * Whether a task gets traffic (endpoints, DNS, proxies) and counts as ready: Running, and its Ready
 * condition True. Its agent sets that condition from the readiness checks; until it has, a task
 * whose template has no readiness check is ready while Running, and one with checks is not.
 */
export function isTaskReady(t: Task): boolean {
  if (t.status?.phase !== 'Running' || t.metadata.deletionTimestamp !== undefined) return false;
  const ready = t.status.conditions?.find((c) => c.type === TASK_READY_CONDITION);
  if (ready) return ready.status === 'True';
  return !(t.spec.template.checks ?? []).some((c) => (c.role ?? 'readiness') === 'readiness');
}
