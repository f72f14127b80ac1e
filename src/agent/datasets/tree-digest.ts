// The checksum a dataset's content travels with: one sha256 over every entry in the order sent
// (its path, type, mode, owner, mtime, size, link target and the sha256 of its bytes). The
// sender computes it while reading, the receiver again while writing, and the sender's copy
// arrives last, in the stream's manifest (HTTP trailers do not survive the server's proxy).
import { createHash, type Hash } from 'node:crypto';

export interface TreeEntry {
  /** Relative to the dataset's root, "/"-separated; "" for the root itself. */
  path: string;
  type: 'directory' | 'file' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  /** Whole seconds: what a tar header carries. */
  mtimeSeconds: number;
  size: number;
  linkname?: string;
  /** Hex sha256 of a file's bytes. */
  sha256?: string;
}

/** What the stream's last entry says: the receiver's own count and digest must match it. */
export interface Manifest {
  version: 1;
  entries: number;
  bytes: number;
  sha256: string;
}

/** The tar entry the manifest travels in; every data entry is under DATA_PREFIX, so no name collides with it. */
export const MANIFEST_ENTRY = 'manifest.json';
export const DATA_PREFIX = 'data/';

export class TreeDigest {
  private readonly hash: Hash = createHash('sha256');
  entries = 0;
  bytes = 0;

  add(e: TreeEntry): void {
    this.entries++;
    this.bytes += e.type === 'file' ? e.size : 0;
    this.hash.update(JSON.stringify([e.path, e.type, e.mode & 0o7777, e.uid, e.gid, e.mtimeSeconds, e.size, e.linkname ?? '', e.sha256 ?? '']) + '\n');
  }

  manifest(): Manifest {
    return { version: 1, entries: this.entries, bytes: this.bytes, sha256: this.hash.copy().digest('hex') };
  }
}

/** Why a received tree does not match its manifest, or undefined when it does. */
export function manifestMismatch(sent: Manifest, received: Manifest): string | undefined {
  if (sent.entries !== received.entries) return `the sender listed ${sent.entries} entries, ${received.entries} arrived`;
  if (sent.bytes !== received.bytes) return `the sender sent ${sent.bytes} bytes of files, ${received.bytes} arrived`;
  if (sent.sha256 !== received.sha256) return `checksum mismatch: sent ${sent.sha256}, received ${received.sha256}`;
  return undefined;
}
