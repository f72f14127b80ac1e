// PATCH bodies: JSON merge patch (RFC 7396) and JSON patch (RFC 6902), applied to a copy of the
// object as GET shows it.
import jsonpatch from 'fast-json-patch';
import { ApiError, BadRequest, Conflict, Invalid } from '../../errors.js';
import type { AnyObject } from '../../state/object.js';
import { JSON_PATCH, MERGE_PATCH } from '../protocol/content.js';

export type PatchType = 'merge' | 'json';

export function patchType(contentType: string | undefined): PatchType {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (media === MERGE_PATCH) return 'merge';
  if (media === JSON_PATCH) return 'json';
  throw new ApiError(
    'UnsupportedMediaType',
    `PATCH needs Content-Type ${MERGE_PATCH} (a partial object) or ${JSON_PATCH} (a list of operations), got "${media}"`,
  );
}

export function applyPatch(type: PatchType, target: AnyObject, patch: unknown): unknown {
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
