// The templates a service went through, as far as the API shows them: the current template, the
// one recorded before the last change made by the CLI or the console (PREVIOUS_TEMPLATE_ANNOTATION,
// which a rollback restores), and every template the service's tasks still run or ran (each task
// carries its template and its template hash). Pure, and free of Node: `drover rollout history`
// and the web console show the same rows.
import { TEMPLATE_HASH_LABEL, type Service } from './service.js';
import { TERMINAL_PHASES, type Task } from './task.js';

/** Where the CLI and the console keep a service's template from before their last change of it (JSON). */
export const PREVIOUS_TEMPLATE_ANNOTATION = 'drover.io/previous-template';

type Template = Service['spec']['template'];

export interface HistoryRow {
  hash: string;
  template: Template;
  live: number;
  finished: number;
  /** When its first task that still exists was created. */
  since?: string;
  isCurrent: boolean;
  isPrevious: boolean;
}

/** JSON with its object keys sorted: equal texts, equal values (whatever the keys' order). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

export function isSameTemplate(a: Template | undefined, b: Template | undefined): boolean {
  return canonical(a ?? null) === canonical(b ?? null);
}

/** The template recorded before the last change, or undefined. */
export function previousTemplate(svc: Service): Template | undefined {
  const recorded = svc.metadata.annotations?.[PREVIOUS_TEMPLATE_ANNOTATION];
  return recorded ? (JSON.parse(recorded) as Template) : undefined;
}

/** The rows, oldest first, the current template last: the service and its tasks in, rows out. */
export function historyRows(svc: Service, tasks: Task[]): HistoryRow[] {
  const rows: HistoryRow[] = [];
  const owned = tasks.filter((t) => t.metadata.ownerReferences?.some((r) => r.uid === svc.metadata.uid));
  for (const t of [...owned].sort((a, b) => a.metadata.createdAt.localeCompare(b.metadata.createdAt))) {
    const hash = t.metadata.labels?.[TEMPLATE_HASH_LABEL] ?? '-';
    let row = rows.find((r) => (hash !== '-' ? r.hash === hash : isSameTemplate(r.template, t.spec.template)));
    if (!row) rows.push((row = { hash, template: t.spec.template, live: 0, finished: 0, since: t.metadata.createdAt, isCurrent: false, isPrevious: false }));
    if (TERMINAL_PHASES.has(t.status?.phase ?? '') || t.metadata.deletionTimestamp) row.finished++;
    else row.live++;
  }
  const previous = previousTemplate(svc);
  if (previous) {
    const row = rows.find((r) => isSameTemplate(r.template, previous));
    if (row) row.isPrevious = true;
    else rows.unshift({ hash: '-', template: previous, live: 0, finished: 0, isCurrent: false, isPrevious: true });
  }
  let current = rows.find((r) => isSameTemplate(r.template, svc.spec.template));
  if (!current) rows.push((current = { hash: '-', template: svc.spec.template, live: 0, finished: 0, isCurrent: true, isPrevious: false }));
  current.isCurrent = true;
  // The current template last, whatever its tasks' ages.
  return [...rows.filter((r) => !r.isCurrent), current];
}
