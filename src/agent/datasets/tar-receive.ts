// The receiving side of a move: a tar stream from packDataset written into an empty staging
// directory, every file fsynced, every entry hashed into the same digest the sender made; the
// stream is accepted only when its manifest arrived last and matches. Names are trusted no
// further than they must be: each entry's parent must be a directory this stream created, so
// no "..", absolute path or symlink can lead a write outside staging.
import { createHash } from 'node:crypto';
import { chmod, lchown, lutimes, mkdir, open, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { extract as tarExtract, type Headers } from 'tar-stream';
import { DATA_PREFIX, MANIFEST_ENTRY, manifestMismatch, TreeDigest, type Manifest } from './tree-digest.js';

export interface Received {
  entries: number;
  bytes: number;
}

/** Writes the stream into `staging` (which exists, empty); `onBytes` hears each chunk of file content. Throws when anything does not match. */
export async function receiveDataset(body: Readable, staging: string, onBytes: (n: number) => void): Promise<Received> {
  const digest = new TreeDigest();
  const dirs = new Map<string, Headers>(); // rel → header: modes and mtimes are set last, after the children
  let manifest: Manifest | undefined;
  const asRoot = process.getuid?.() === 0;
  const extract = tarExtract();
  extract.on('entry', (header: Headers, stream: Readable, next: (err?: Error) => void) => {
    onEntry(header, stream).then(() => next(), (err: Error) => {
      stream.resume();
      next(err);
    });
  });

  async function onEntry(h: Headers, stream: Readable): Promise<void> {
    if (manifest) throw new Error(`entry "${h.name}" came after the manifest`);
    if (h.name === MANIFEST_ENTRY) {
      manifest = JSON.parse((await readAll(stream)).toString('utf8')) as Manifest;
      return;
    }
    if (!h.name.startsWith(DATA_PREFIX)) throw new Error(`unexpected entry "${h.name}" (not under ${DATA_PREFIX})`);
    const rel = h.name.slice(DATA_PREFIX.length).replace(/\/$/, '');
    const abs = placeOf(rel);
    const base = { path: rel, mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, mtimeSeconds: Math.floor((h.mtime?.getTime() ?? 0) / 1000) };
    if (h.type === 'directory') {
      if (rel !== '') await mkdir(abs, { mode: 0o700 });
      dirs.set(rel, h);
      digest.add({ ...base, type: 'directory', size: 0 });
      stream.resume();
    } else if (h.type === 'symlink') {
      await symlink(h.linkname ?? '', abs);
      if (asRoot) await lchown(abs, base.uid, base.gid);
      await lutimes(abs, h.mtime ?? new Date(0), h.mtime ?? new Date(0));
      digest.add({ ...base, type: 'symlink', size: 0, linkname: h.linkname ?? '' });
      stream.resume();
    } else if (h.type === 'file' || h.type === undefined || h.type === null) {
      const sha256 = await writeFile(abs, stream, onBytes);
      if (asRoot) await lchown(abs, base.uid, base.gid);
      await chmod(abs, base.mode);
      await utimes(abs, h.mtime ?? new Date(0), h.mtime ?? new Date(0));
      digest.add({ ...base, type: 'file', size: h.size ?? 0, sha256 });
    } else {
      throw new Error(`entry "${h.name}" is a ${h.type}: only directories, files and symlinks are sent`);
    }
  }

  /** Where `rel` goes: its parent must be a directory of this stream (the root first of all). */
  function placeOf(rel: string): string {
    if (rel === '') {
      if (dirs.size) throw new Error('the root came twice');
      return staging;
    }
    const parts = rel.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new Error(`bad entry name "${rel}"`);
    const parent = parts.slice(0, -1).join('/');
    if (!dirs.has(parent)) throw new Error(`entry "${rel}" comes before its directory "${parent || '.'}"`);
    return join(staging, ...parts);
  }

  await pipeline(body, extract);
  if (!manifest) throw new Error('the stream ended before its manifest: the sender stopped mid-way');
  const mismatch = manifestMismatch(manifest, digest.manifest());
  if (mismatch) throw new Error(mismatch);
  // Deepest first: a directory's mtime changes while its children are written.
  for (const [rel, h] of [...dirs].sort((a, b) => b[0].length - a[0].length)) {
    const abs = rel === '' ? staging : join(staging, ...rel.split('/'));
    if (asRoot) await lchown(abs, h.uid ?? 0, h.gid ?? 0);
    await chmod(abs, (h.mode ?? 0o755) & 0o7777);
    await utimes(abs, h.mtime ?? new Date(0), h.mtime ?? new Date(0));
    await fsyncDir(abs);
  }
  return { entries: digest.entries, bytes: digest.bytes };
}

/** Writes a file's bytes (fsynced before it counts as received) and returns their sha256. */
async function writeFile(abs: string, stream: Readable, onBytes: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(abs, 'wx', 0o600);
  // The network hands over 16–64 KiB at a time: written in batches of ~1 MiB, a third fewer syscalls and awaits.
  let batch: Buffer[] = [];
  let batched = 0;
  const flush = async () => {
    const buf = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batched);
    batch = [];
    batched = 0;
    // A write to a regular file may take fewer bytes than given (a full disk answers ENOSPC next).
    for (let off = 0; off < buf.length; ) off += (await fh.write(buf, off)).bytesWritten;
  };
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      hash.update(buf);
      batch.push(buf);
      batched += buf.length;
      onBytes(buf.length);
      if (batched >= 1 << 20) await flush();
    }
    if (batched) await flush();
    await fh.sync();
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
