// Many events in one request: POST /api/v1/machines/{machine}/events, how an agent records them.
// A burst of task starts is a burst of Started events, and one POST each was most of a fleet's
// requests (40,000 of 48,000 at 2,000 machines and 40,000 tasks). Each item is exactly the body
// POST /namespaces/{namespace}/events would take — validated, authorized and admitted the same
// way — and is answered on its own, so one refused event does not fail the others.
import { bulkhead } from 'cockatiel';
import { BadRequest } from '../errors.js';
import { DEFAULT_NAMESPACE, type Event } from '../model/index.js';
import type { RequestContext } from './context.js';
import type { Registry } from './registry.js';
import { refused, reportItems, type ReportItemResult } from './report-items.js';

/** What POST /namespaces/{namespace}/events would have answered for the item. */
export type EventReportResult = ReportItemResult;

/** Events in one report: more wait for the next. */
export const MAX_EVENT_ITEMS = 1_000;

/** The report's items, checked as a whole; each item's own content is checked when it is created. */
export function parseEventReport(body: unknown): Record<string, unknown>[] {
  const items = reportItems(body, MAX_EVENT_ITEMS, 'events');
  items.forEach((item: unknown, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new BadRequest(`items[${i}] must be an event object`);
    const namespace = (item as { metadata?: { namespace?: unknown } }).metadata?.namespace;
    if (namespace !== undefined && (typeof namespace !== 'string' || !namespace)) throw new BadRequest(`items[${i}].metadata.namespace must be a non-empty string when given`);
  });
  return items as Record<string, unknown>[];
}

/**
 * Event creates of all reports under way at once, server-wide; the rest wait their turn, and so
 * do the agents that sent them (one report in flight each). One POST per event was bounded by
 * the connections it came on; a report of many must not let thousands of agents start hundreds
 * of thousands of creates at once, each holding its objects until its write commits.
 */
const eventWrites = bulkhead(256, Infinity);

/** Creates each item as its own event (they share the store's batches). */
export function recordEvents(registry: Registry, ctx: RequestContext, items: Record<string, unknown>[]): Promise<EventReportResult[]> {
  return Promise.all(items.map((item) => eventWrites.execute(() => recordOne(registry, ctx, item))));
}

async function recordOne(registry: Registry, ctx: RequestContext, item: Record<string, unknown>): Promise<EventReportResult> {
  const meta = (item.metadata ?? {}) as { name?: unknown; namespace?: string };
  const namespace = meta.namespace ?? DEFAULT_NAMESPACE;
  const result = { namespace, name: typeof meta.name === 'string' ? meta.name : '' };
  try {
    const event = await registry.kind<Event>('events', namespace).create(ctx, item);
    return { ...result, name: event.metadata.name, code: 201, revision: event.metadata.revision };
  } catch (err) {
    return refused(result, err);
  }
}
