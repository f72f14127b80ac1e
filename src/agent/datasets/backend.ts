// How one kind of dataset storage holds datasets on this machine. Every copy lives under the
// agent's data dir: the live one at `path(id)` (a directory, or the mount point of an image),
// a move's incoming one under `.staging/` until it is verified and promoted. Nothing in
// `.staging/` is ever live, so an agent that starts discards all of it.
import type { DatasetBackend } from '../../model/index.js';

export interface DatasetStore {
  readonly name: DatasetBackend;
  /** Where the live copy of dataset `id` is (whether or not it exists). */
  path(id: string): string;
  /** Whether this machine has a copy of `id` at path(id) (live or left over). */
  has(id: string): Promise<boolean>;
  /** Makes an empty copy (idempotent: an existing one is kept and made usable, e.g. mounted again). */
  create(id: string, maximumSize: number | undefined): Promise<string>;
  /** Removes the copy at path(id), if any. */
  remove(id: string): Promise<void>;
  /** Bytes the copy uses. */
  sizeBytes(id: string): Promise<number>;
  /** An empty incoming copy in staging; returns the directory to fill. */
  stage(id: string, maximumSize: number | undefined): Promise<string>;
  /** The filled, verified staging copy becomes the copy at path(id); returns that path. */
  promote(id: string): Promise<string>;
  /** Removes the staging copy of `id`, if any. */
  discardStaging(id: string): Promise<void>;
  /** Names at the root of a copy that are the file system's, not the data (lost+found). */
  readonly skipAtRoot: string[];
}
