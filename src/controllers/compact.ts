// The Compact operation: discard store history up to a revision (default: keep the last 1,000).
import type { State } from '../state/state.js';
import type { OperationHandler } from './operations.js';

export function compactHandler(state: State): OperationHandler {
  return async (op, progress) => {
    const params = (op.spec.params ?? {}) as { revision?: unknown };
    const current = await state.store.currentRevision();
    let revision: number;
    if (params.revision === undefined) revision = current - 1000;
    else if (typeof params.revision === 'number' && Number.isSafeInteger(params.revision) && params.revision > 0) revision = params.revision;
    else throw new Error(`params.revision must be a positive integer, got ${JSON.stringify(params.revision)}`);
    if (revision > current) throw new Error(`cannot compact to revision ${revision}: the current revision is ${current}`);
    const before = await state.store.compactedRevision();
    if (revision <= before) return { compactedRevision: before, skipped: `already compacted through ${before}` };
    await progress(0, 1, `compacting through revision ${revision}`);
    await state.compact(revision);
    await progress(1, 1);
    return { compactedRevision: revision };
  };
}
