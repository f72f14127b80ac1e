// Dataset: a directory (or an ext4 image) that lives on one machine at a time, its primary, and
// moves with its data when the primary changes (Flocker's dataset). The agent holding the live
// copy and the agent of the new primary carry the move out between them; status says who holds
// the live copy and how far a move has got.
import type { ApiObject, Condition } from './meta.js';

export const DATASET_BACKENDS = ['directory', 'loopback'] as const;
export type DatasetBackend = (typeof DATASET_BACKENDS)[number];

/** Flocker's floor for maximum_size (its schema): 64 MiB. */
export const MIN_DATASET_SIZE = 64 * 1024 * 1024;

export interface DatasetSpec {
  /** The dataset's UUID (Flocker's dataset_id): version 4, lowercase, generated when absent, immutable, never reused. */
  id?: string;
  /** The machine that should hold the live copy; changing it moves the data. None: not placed yet. */
  primary?: string;
  /** Bytes; the loopback backend's image size. None: unbounded (directory backend only). */
  maximumSize?: number;
  /** Default: directory. */
  backend?: DatasetBackend;
  /** Free string map (Flocker's metadata; the Docker plugin keeps the dataset's name in `name`). */
  metadata?: Record<string, string>;
  /** A tombstone: the data is removed, the object stays so its id is never reused. Never unset. */
  deleted?: boolean;
}

export const DATASET_PHASES = ['Pending', 'Ready', 'Moving', 'Deleted', 'Failed'] as const;
export type DatasetPhase = (typeof DATASET_PHASES)[number];

/**
 * A move in progress, from the machine holding the live copy to the new primary. `from` stops
 * using the copy (no task of it runs) before sending; `to` writes into staging, verifies the
 * checksum, and commits by setting status.machine to itself (a compare-and-swap): only then does
 * `from` remove its copy. Until the commit the live copy is `from`'s, so a crash of either side
 * or of the server leaves one complete copy; the move restarts from the beginning.
 */
export interface DatasetMove {
  from: string;
  to: string;
  /** Waiting: for tasks using it on `from` to stop. Sending: bytes are flowing. Verifying: checksum and commit. */
  phase: 'Waiting' | 'Sending' | 'Verifying';
  bytesDone: number;
  bytesTotal: number;
  startedAt: string;
  /** How many times the transfer was started (a retry after a crash or a broken stream counts). */
  attempts?: number;
  message?: string;
}

export interface DatasetStatus {
  phase?: DatasetPhase;
  /** The machine holding the live copy (Flocker's state primary). */
  machine?: string;
  /** Where the data is on that machine (a directory or a mount point). */
  path?: string;
  /** Bytes used. */
  size?: number;
  move?: DatasetMove | null;
  message?: string;
  reason?: string;
  observedGeneration?: number;
  conditions?: Condition[];
}

export type Dataset = ApiObject<DatasetSpec, DatasetStatus>;

/**
 * Lease: pins a dataset to a machine — no move, no delete — until it expires or is released
 * (Flocker's lease). Named after the dataset it pins: one lease per dataset.
 */
export interface LeaseSpec {
  /** The dataset's name (in the lease's namespace). */
  dataset: string;
  /** The machine the dataset is pinned to. */
  machine: string;
  /** When it lapses (RFC 3339); none: held until released. */
  expiresAt?: string | null;
}

export type Lease = ApiObject<LeaseSpec, Record<string, never>>;

/** Whether a lease still holds at `now` (ms since the epoch). */
export function leaseHolds(lease: Lease, now: number): boolean {
  const at = lease.spec.expiresAt;
  return at === undefined || at === null || Date.parse(at) > now;
}

/** The environment variable a task finds a dataset's path in: DROVER_VOLUME_<NAME>, the name upper-cased, other characters as _. */
export function volumeEnvName(dataset: string): string {
  return `DROVER_VOLUME_${dataset.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Version 4 UUIDs, as Flocker requires of a dataset_id. */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
