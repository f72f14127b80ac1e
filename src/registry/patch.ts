// PATCH bodies: JSON merge patch (RFC 7396) and JSON patch (RFC 6902), applied to a copy of the
// object as GET shows it.
import jsonpatch from 'fast-json-patch';
import { ApiError, BadRequest, Conflict, Invalid } from '../errors.js';
import type { AnyObject } from '../model/index.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';

/** merge: RFC 7396 (a partial object); json: RFC 6902 (a list of operations). */
export type PatchType = 'merge' | 'json';

export interface Patch {
  type: PatchType;
  body: unknown;
}

/**
 * Applies a patch to a copy of `target`. A JSON patch is bounded in work: at most
 * limits.patchOperations operations, and the object it builds is measured as it grows (a
 * `copy` doubles it each time: 23 of them took a minute and froze the server), so it stops at
 * the object size limit instead of after the damage.
 */
export function applyPatch({ type, body: patch }: Patch, target: AnyObject, limits: Limits = DEFAULT_LIMITS): unknown {
  const copy = structuredClone(target);
  if (type === 'merge') {
    return mergePatch(copy, mergeBody(patch));
  }
  if (!Array.isArray(patch)) throw new BadRequest('a JSON patch must be an array of operations');
  if (patch.length > limits.patchOperations) {
    throw new Invalid([{ path: '/', message: `${patch.length} operations; a JSON patch may hold at most ${limits.patchOperations}` }], `the JSON patch has ${patch.length} operations; send at most ${limits.patchOperations}`);
  }
  // The operations' shapes first (no document: nothing is applied twice).
  const problem = jsonpatch.validate(patch as jsonpatch.Operation[]);
  if (problem) throw patchError(problem, patch);
  let doc: unknown = copy;
  let size = JSON.stringify(copy).length;
  const ops = patch as jsonpatch.Operation[];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    try {
      if (op.op === 'add' || op.op === 'replace') size += JSON.stringify(op.value ?? null).length;
      else if (op.op === 'copy') size += JSON.stringify(jsonpatch.getValueByPointer(doc, op.from) ?? null).length;
      if (size > limits.objectBytes) {
        throw new ApiError('PayloadTooLarge', `operation ${i} (${op.op}) would make the object larger than ${limits.objectBytes} bytes; send a smaller change`);
      }
      doc = jsonpatch.applyOperation(doc, op, true, true, true, i).newDocument;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw patchError(Object.assign(err as object, { index: (err as { index?: number }).index ?? i }), patch);
    }
  }
  return doc;
}

/**
 * The patched object for reading only (what a /status patch keeps of it): a merge patch builds
 * new objects along its own paths and shares everything else with `target`, so the whole-object
 * copy applyPatch makes first (a task's template and all, per status report) is skipped.
 */
export function patchedView(p: Patch, target: AnyObject, limits: Limits = DEFAULT_LIMITS): unknown {
  if (p.type !== 'merge') return applyPatch(p, target, limits);
  return mergePatch(target, mergeBody(p.body));
}

/** A merge patch's body, which must be an object. */
function mergeBody(body: unknown): object {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('a merge patch must be a JSON object');
  return body;
}

function patchError(err: unknown, ops: unknown[]): ApiError {
  const e = err as jsonpatch.JsonPatchError;
  const index = typeof e.index === 'number' ? e.index : undefined;
  const where = index === undefined ? '' : `operation ${index} (${JSON.stringify(ops[index])}): `;
  if (e.name === 'TEST_OPERATION_FAILED') return new Conflict(`${where}the test failed; the object differs from what the patch expects`);
  const banned = /__proto__|constructor\/prototype/.test(e.message ?? '');
  const message = banned ? 'paths through __proto__, constructor or prototype are not allowed' : (e.message ?? String(err)).split('\n')[0];
  return new Invalid([{ path: `/${index ?? ''}`, message: `${where}${message}` }], `invalid JSON patch: ${where}${message}`);
}

/** RFC 7396: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    // JSON.parse makes "__proto__" an own key; assigning it would set out's prototype instead.
    if (k === '__proto__') throw new Invalid([{ path: '/__proto__', message: 'the field name __proto__ is not allowed' }]);
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
