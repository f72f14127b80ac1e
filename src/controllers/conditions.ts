import type { Condition } from '../model/index.js';

/**
 * Sets a condition, keeping lastTransitionTime when the status does not change. Returns the new
 * list, or undefined when nothing changed (so callers can skip the write).
 */
export function setCondition(conditions: Condition[] | undefined, next: Omit<Condition, 'lastTransitionTime'>): Condition[] | undefined {
  const list = conditions ?? [];
  const cur = list.find((c) => c.type === next.type);
  if (cur && cur.status === next.status && cur.reason === next.reason && cur.message === next.message) return undefined;
  const updated: Condition = {
    ...next,
    lastTransitionTime: cur && cur.status === next.status && cur.lastTransitionTime ? cur.lastTransitionTime : new Date().toISOString(),
  };
  return [...list.filter((c) => c.type !== next.type), updated];
}

export function conditionStatus(conditions: Condition[] | undefined, type: string): Condition['status'] {
  return conditions?.find((c) => c.type === type)?.status ?? 'Unknown';
}
