// Operation: asynchronous work (compaction, drain…), created with 202 Accepted and polled.
import type { ApiObject, Condition } from './meta.js';

export const OPERATION_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;
export type OperationPhase = (typeof OPERATION_PHASES)[number];
export const TERMINAL_OPERATION_PHASES: ReadonlySet<string> = new Set<OperationPhase>(['Succeeded', 'Failed']);

export const OPERATION_TYPES = ['Compact', 'Drain'] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

export interface OperationSpec {
  type: OperationType;
  target?: { kind: string; name: string };
  params?: Record<string, unknown>;
}

export interface OperationStatus {
  phase?: OperationPhase;
  progress?: { completed: number; total: number; message?: string };
  conditions?: Condition[];
  result?: unknown;
  error?: string;
  startedAt?: string;
  finishedAt?: string;
}

export type Operation = ApiObject<OperationSpec, OperationStatus>;

/** Parameters of each operation type, as their schemas (src/registry/kinds/operations.ts) admit them. */
export interface CompactParams {
  /** Discard history up to this revision (default: all but the last 1,000). */
  revision?: number;
}
export interface DrainParams {
  /** One-off tasks too (nothing replaces them). */
  force?: boolean;
  /** How long to wait for the tasks to stop (default 120). */
  timeoutSeconds?: number;
}
