// `drover rollout history service/NAME`: the templates a service went through, as far as the API
// shows them (the rows: src/model/template-history.ts). The server keeps no history of its own: a
// template whose tasks are all gone, older than the previous one, cannot be shown.
import type { Client } from '../client/client.js';
import { historyRows, PREVIOUS_TEMPLATE_ANNOTATION, type HistoryRow } from '../model/template-history.js';
import { age, printTable } from './output.js';
import { templateText } from './kinds.js';

export { historyRows, type HistoryRow };

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
