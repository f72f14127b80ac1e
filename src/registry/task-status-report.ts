// Many tasks' status changes in one request: POST /api/v1/machines/{machine}/taskstatus, how an
// agent reports (the kubelet sends one PATCH per pod; an agent starting 20 tasks at once sent 20,
// and a fleet of them queued tens of thousands of requests). Each item is exactly the merge patch
// PATCH /tasks/{name}/status would apply — the uid as precondition, the caller's permission checked
// per task — and answers on its own: one task gone or replaced does not fail the others. An item
// for a task not bound to the machine named in the URL is refused (409): a report from the
// machine a task has left must not land on it.
import { BadRequest, Conflict } from '../errors.js';
import { DEFAULT_NAMESPACE, type Task } from '../model/index.js';
import type { RequestContext } from './context.js';
import type { Registry } from './registry.js';
import { refused, reportItems, type ReportItemResult } from './report-items.js';

export interface TaskStatusItem {
  namespace?: string;
  name: string;
  uid: string;
  status: Record<string, unknown>;
}

/** What PATCH /status would have answered for the item. */
export type TaskStatusResult = ReportItemResult;

/** Items in one report: more wait for the next (a report is one group-commit batch or a few). */
export const MAX_STATUS_ITEMS = 1_000;

const ITEM_FIELDS = new Set(['namespace', 'name', 'uid', 'status']);

/** The report's items, checked; a malformed report changes nothing. */
export function parseTaskStatusReport(body: unknown): TaskStatusItem[] {
  const items = reportItems(body, MAX_STATUS_ITEMS, '{"namespace", "name", "uid", "status"}');
  items.forEach((item: unknown, i) => {
    const where = `items[${i}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new BadRequest(`${where} must be an object {"namespace", "name", "uid", "status"}`);
    const extra = Object.keys(item).filter((k) => !ITEM_FIELDS.has(k));
    if (extra.length) throw new BadRequest(`unknown field ${extra.map((k) => `"${k}"`).join(', ')} in ${where}: an item has namespace, name, uid and status`);
    const it = item as Record<string, unknown>;
    for (const f of ['name', 'uid'] as const) if (typeof it[f] !== 'string' || !it[f]) throw new BadRequest(`${where}.${f} must be a non-empty string`);
    if (it.namespace !== undefined && (typeof it.namespace !== 'string' || !it.namespace)) throw new BadRequest(`${where}.namespace must be a non-empty string when given`);
    if (it.status === null || typeof it.status !== 'object' || Array.isArray(it.status)) throw new BadRequest(`${where}.status must be an object (the status fields that changed)`);
  });
  return items as TaskStatusItem[];
}

/** Applies each item as its own status merge patch, all at once (they share the store's batches). */
export async function reportTaskStatus(registry: Registry, ctx: RequestContext, machine: string, items: TaskStatusItem[]): Promise<TaskStatusResult[]> {
  return Promise.all(
    items.map(async (item) => {
      const namespace = item.namespace ?? DEFAULT_NAMESPACE;
      const result = { namespace, name: item.name };
      try {
        const boundHere = (current: Task) => {
          if (current.spec.machine !== machine) throw new Conflict(`task "${item.name}" is bound to ${current.spec.machine ? `machine "${current.spec.machine}"` : 'no machine'}, not "${machine}": its status is reported by the machine it runs on`);
        };
        const task = await registry.kind<Task>('tasks', namespace).patchStatus(ctx, item.name, { type: 'merge', body: { metadata: { uid: item.uid }, status: item.status } }, {}, boundHere);
        return { ...result, code: 200, revision: task.metadata.revision };
      } catch (err) {
        return refused(result, err);
      }
    }),
  );
}
