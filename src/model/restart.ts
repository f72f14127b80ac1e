// Restarting a service as `kubectl rollout restart` does: a new value of an annotation on its task
// template changes the template (and its hash), so the service controller replaces every task with
// its normal rolling-update rules (maxUnavailable, maxSurge, readiness). Nothing new to run: the
// template's processes start afresh.

/** The template annotation a restart sets to the time it was asked for (RFC 3339). */
export const RESTARTED_AT_ANNOTATION = 'drover.io/restartedAt';

/** The merge patch that restarts a service's tasks, asked at `now`. */
export function restartPatch(now: Date = new Date()): { spec: { template: { annotations: Record<string, string> } } } {
  return { spec: { template: { annotations: { [RESTARTED_AT_ANNOTATION]: now.toISOString() } } } };
}
