// What this machine should do about one dataset, from the dataset alone (pure). The rule that
// keeps every byte: the live copy is the one on status.machine; only that machine acts on it,
// and every other machine's copy (left over, half-received, or sent) is not live and may go.
import type { Dataset } from '../../model/index.js';

export type DatasetAction =
  /** It is placed here and nobody holds it yet: make an empty one. */
  | { do: 'create' }
  /** Held here, wanted here: make sure it is there (mounted) and its status says so. */
  | { do: 'keep' }
  /** Held here, wanted elsewhere: wait for its users to stop, then open the move and serve the bytes. */
  | { do: 'send'; to: string }
  /** Held here and wanted here again while a move was open: close the move. */
  | { do: 'cancelMove' }
  /** A move to this machine is open: pull, verify, commit. */
  | { do: 'receive' }
  /** Deleted: remove the data (this machine holds it, or it never got created and is placed here). */
  | { do: 'delete' }
  /** Nothing here is live: remove any copy or staging this machine has of it. */
  | { do: 'discard' };

export function planDataset(ds: Dataset, me: string): DatasetAction {
  const holder = ds.status?.machine;
  const primary = ds.spec.primary;
  const move = ds.status?.move;
  if (ds.spec.deleted) {
    const mine = holder === me || (!holder && primary === me);
    return mine && ds.status?.phase !== 'Deleted' ? { do: 'delete' } : { do: 'discard' };
  }
  if (holder === me) {
    if (primary === undefined || primary === me) return move ? { do: 'cancelMove' } : { do: 'keep' };
    return { do: 'send', to: primary };
  }
  if (!holder) return primary === me ? { do: 'create' } : { do: 'discard' };
  if (primary === me && move && move.to === me && move.from === holder && move.phase !== 'Waiting') return { do: 'receive' };
  return { do: 'discard' };
}
