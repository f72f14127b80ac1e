// `drover rollout history service/NAME`: the templates a service went through, as far as the API
// shows them. The server keeps no history of its own: what is known is the current template, the
// one before the last change made through the CLI (the drover.io/previous-template annotation,
// which `rollout undo` restores), and every template that the service's tasks still run or ran
// (each task carries its template and the drover.io/template-hash label). A template whose tasks
// are all gone, older than the previous one, cannot be shown.
import { isDeepStrictEqual } from 'node:util';
import type { Client, Service, Task } from '../client/client.js';
import { TEMPLATE_HASH_LABEL, TERMINAL_PHASES } from '../model/index.js';
import { PREVIOUS_TEMPLATE_ANNOTATION } from './apply-object.js';
import { age, printTable } from './output.js';
import { templateText } from './kinds.js';

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

/** The rows, oldest first, the current template last. Pure: the service and its tasks in, rows out. */
export function historyRows(svc: Service, tasks: Task[]): HistoryRow[] {
  const rows: HistoryRow[] = [];
  const owned = tasks.filter((t) => t.metadata.ownerReferences?.some((r) => r.uid === svc.metadata.uid));
  for (const t of [...owned].sort((a, b) => a.metadata.createdAt.localeCompare(b.metadata.createdAt))) {
    const hash = t.metadata.labels?.[TEMPLATE_HASH_LABEL] ?? '-';
    let row = rows.find((r) => (hash !== '-' ? r.hash === hash : isDeepStrictEqual(r.template, t.spec.template)));
    if (!row) rows.push((row = { hash, template: t.spec.template, live: 0, finished: 0, since: t.metadata.createdAt, isCurrent: false, isPrevious: false }));
    if (TERMINAL_PHASES.has(t.status?.phase ?? '') || t.metadata.deletionTimestamp) row.finished++;
    else row.live++;
  }
  const recorded = svc.metadata.annotations?.[PREVIOUS_TEMPLATE_ANNOTATION];
  if (recorded) {
    const previous = JSON.parse(recorded) as Template;
    const row = rows.find((r) => isDeepStrictEqual(r.template, previous));
    if (row) row.isPrevious = true;
    else rows.unshift({ hash: '-', template: previous, live: 0, finished: 0, isCurrent: false, isPrevious: true });
  }
  let current = rows.find((r) => isDeepStrictEqual(r.template, svc.spec.template));
  if (!current) rows.push((current = { hash: '-', template: svc.spec.template, live: 0, finished: 0, isCurrent: true, isPrevious: false }));
  current.isCurrent = true;
  // The current template last, whatever its tasks' ages.
  return [...rows.filter((r) => !r.isCurrent), current];
}

function tasksText(r: HistoryRow): string {
  const parts = [r.live ? `${r.live} live` : '', r.finished ? `${r.finished} finished` : ''].filter(Boolean);
  return parts.join(', ') || (r.isCurrent ? 'none yet' : 'none left');
}

export async function printHistory(client: Client, name: string): Promise<void> {
  const svc = await client.services.get(name);
  const tasks = (await client.tasks.listAll({ fieldSelector: `metadata.owner=${name}` })).items;
  const rows = historyRows(svc, tasks);
  const now = Date.now();
  console.log(`service/${name}`);
  printTable(
    ['TEMPLATE', 'TASKS', 'SINCE', 'COMMAND', 'NOTE'],
    rows.map((r) => [
      r.hash,
      tasksText(r),
      r.since ? age(r.since, now) : '-',
      templateText(r.template) || '-',
      r.isCurrent ? `current (generation ${svc.metadata.generation})` : r.isPrevious ? 'previous: drover rollout undo restores it' : '',
    ]),
  );
}

export const HISTORY_HELP = `
rollout history shows what the API still knows: the current template; the template before the last
change made with drover apply, edit or rollout undo (the ${PREVIOUS_TEMPLATE_ANNOTATION} annotation);
and every template the service's tasks still run or ran, with its drover.io/template-hash. Templates
whose tasks are all gone, before the previous one, are not recorded anywhere and cannot be shown.`;
