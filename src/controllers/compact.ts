// The Compact operation: discard store history up to a revision (default: keep the last 1,000).
import type { CompactParams } from '../model/index.js';
import type { State } from '../state/state.js';
import type { OperationHandler } from './operations.js';

export function compactHandler(state: State): OperationHandler {
  return async (op, progress) => {
    // The registry checked the parameters against their schema when the operation was created.
    const params = (op.spec.params ?? {}) as CompactParams;
    const current = await state.currentRevision();
    const revision = params.revision ?? current - 1000;
    if (revision > current) throw new Error(`cannot compact to revision ${revision}: the current revision is ${current}`);
    const before = await state.compactedRevision();
    if (revision <= before) return { compactedRevision: before, skipped: `already compacted through ${before}` };
    await progress(0, 1, `compacting through revision ${revision}`);
    const compacted = await state.compact(revision);
    await progress(1, 1);
    return { compactedRevision: compacted };
  };
}
