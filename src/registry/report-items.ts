// What the agents' reports share (POST /machines/{machine}/taskstatus and …/events): a body
// {"items": […]} of at most so many, each item answered on its own with the HTTP code its own
// request would have had, so one refused item does not fail the others.
import { ApiError, BadRequest } from '../errors.js';

export interface ReportItemResult {
  namespace: string;
  name: string;
  /** The HTTP code the item's own request would have had. */
  code: number;
  /** The object's revision after the change (a 2xx code). */
  revision?: number;
  reason?: string;
  message?: string;
}

/** The items of a report (`apiVersion` and `kind` may stand beside them), checked as a list; `shape` says what an item looks like, for errors. */
export function reportItems(body: unknown, max: number, shape: string): unknown[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest(`the request body must be an object: {"items": [${shape}, …]}`);
  const unknown = Object.keys(body).filter((k) => k !== 'items' && k !== 'apiVersion' && k !== 'kind');
  if (unknown.length) throw new BadRequest(`unknown field ${unknown.map((k) => `"${k}"`).join(', ')} in the report: it has only "items"`);
  const items = (body as { items?: unknown }).items;
  if (!Array.isArray(items) || items.length === 0) throw new BadRequest(`"items" must be a non-empty array of ${shape}`);
  if (items.length > max) throw new BadRequest(`"items" has ${items.length} entries; at most ${max} per report: send the rest in another`);
  return items;
}

/** The answer of an item its request refused (an ApiError); anything else is the server's fault and fails the report. */
export function refused(item: { namespace: string; name: string }, err: unknown): ReportItemResult {
  if (!(err instanceof ApiError)) throw err;
  return { ...item, code: err.code, reason: err.reason, message: err.message };
}
