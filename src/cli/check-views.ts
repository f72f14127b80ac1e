// A task's health checks as `describe task` shows them: each check with its last result.
import type { Task } from '../client/client.js';
import { resolveChecks } from '../model/index.js';
import { age, printable } from './output.js';

/** NAME, ROLE, TYPE, STATUS, CHECKED (ago), OUTPUT: one row per check of the template. */
export function checkRows(t: Task, now = Date.now()): string[][] {
  return resolveChecks(t.spec.template).map((c) => {
    const r = t.status?.checks?.find((x) => x.name === c.name);
    const streak = r?.status === 'failing' && r.consecutiveFailures ? ` (${r.consecutiveFailures}×)` : '';
    return [c.name, c.role, c.type, `${r?.status ?? 'unknown'}${streak}`, r?.lastCheckedAt ? `${age(r.lastCheckedAt, now)} ago` : '-', printable((r?.output ?? '').slice(0, 120))];
  });
}
