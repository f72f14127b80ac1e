// What tasks and machines use, as their agent measures it (`drover top`). Observed, never desired:
// it lives in status, next to the limits the template asks for.

export interface ResourceUsage {
  /** CPU over the agent's last sampling window, in thousandths of a core (1500 = one and a half cores). */
  cpuMilli: number;
  /** Resident memory: of every process of a task (its whole process tree), or in use on a machine. */
  memoryBytes: number;
  /**
   * When these figures were measured (RFC 3339). The agent rewrites them only when they change
   * by more than a few percent, so an idle task's figures may be older than the sampling interval.
   */
  sampledAt: string;
}
