// PATCH bodies: JSON merge patch (RFC 7396) and JSON patch (RFC 6902), applied to a copy of the
// object as GET shows it.
import jsonpatch from 'fast-json-patch';
import { ApiError, BadRequest, Conflict, Invalid } from '../errors.js';
import type { AnyObject } from '../model/index.js';

/** merge: RFC 7396 (a partial object); json: RFC 6902 (a list of operations). */
export type PatchType = 'merge' | 'json';

export interface Patch {
  type: PatchType;
  body: unknown;
}

export function applyPatch({ type, body: patch }: Patch, target: AnyObject): unknown {
  const copy = structuredClone(target);
  if (type === 'merge') {
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw new BadRequest('a merge patch must be a JSON object');
    return mergePatch(copy, patch);
  }
  if (!Array.isArray(patch)) throw new BadRequest('a JSON patch must be an array of operations');
  const problem = jsonpatch.validate(patch as jsonpatch.Operation[], copy);
  if (problem) throw patchError(problem, patch);
  try {
    return jsonpatch.applyPatch(copy, patch as jsonpatch.Operation[], false, true).newDocument;
  } catch (err) {
    throw patchError(err, patch);
  }
}

function patchError(err: unknown, ops: unknown[]): ApiError {
  const e = err as jsonpatch.JsonPatchError;
  const index = typeof e.index === 'number' ? e.index : undefined;
  const where = index === undefined ? '' : `operation ${index} (${JSON.stringify(ops[index])}): `;
  if (e.name === 'TEST_OPERATION_FAILED') return new Conflict(`${where}the test failed; the object differs from what the patch expects`);
  const message = (e.message ?? String(err)).split('\n')[0];
  return new Invalid([{ path: `/${index ?? ''}`, message: `${where}${message}` }], `invalid JSON patch: ${where}${message}`);
}

/** RFC 7396: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
