// How a run's end reads in a task's status: the reason (a stable word) and what happened.
import { formatBytes, OOM_KILLED } from '../model/index.js';
import type { ExitStatus } from './supervisor.js';

export function describeExit(status: ExitStatus): { reason: string; how: string } {
  const oom = status.memoryExceeded;
  if (oom) {
    return {
      reason: OOM_KILLED,
      how: `was killed for exceeding its memory limit of ${formatBytes(oom.limitBytes)}: its processes used ${formatBytes(oom.usageBytes)}`,
    };
  }
  if (status.signal) return { reason: 'Error', how: `was killed by ${status.signal}` };
  return { reason: status.code === 0 ? 'Completed' : 'Error', how: `exited with code ${status.code}` };
}
