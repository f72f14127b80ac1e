// The sending side of a move: a dataset's tree as a tar stream (directories, files, symlinks,
// with their modes, owners and mtimes), its manifest last. Entries go parents first, so the
// receiver can insist that every entry's parent is a directory it made itself.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { pack as tarPack, type Pack } from 'tar-stream';
import { DATA_PREFIX, MANIFEST_ENTRY, TreeDigest, type TreeEntry } from './tree-digest.js';

export interface SendOptions {
  /** Test-only pacing (bytes of file content per second), so a move is still in flight when a test kills something. */
  bytesPerSecond?: number;
  /** Names (at the root) left out: a loopback file system's lost+found. */
  skipAtRoot?: string[];
}

/** The dataset at `root` as a tar stream; an error reading it destroys the stream (the receiver sees no manifest). */
export function packDataset(root: string, opts: SendOptions = {}): Pack {
  const pack = tarPack();
  const digest = new TreeDigest();
  const pace = pacer(opts.bytesPerSecond);
  void (async () => {
    for await (const { rel, abs } of walk(root, '', new Set(opts.skipAtRoot ?? []))) {
      if (pack.destroyed) return;
      const st = await lstat(abs);
      const base = { path: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeSeconds: Math.floor(st.mtimeMs / 1000) };
      const header = { name: DATA_PREFIX + rel, mode: base.mode, uid: base.uid, gid: base.gid, mtime: new Date(base.mtimeSeconds * 1000) };
      if (st.isDirectory()) {
        digest.add({ ...base, type: 'directory', size: 0 });
        await entry(pack, { ...header, type: 'directory' });
      } else if (st.isSymbolicLink()) {
        const linkname = await readlink(abs);
        digest.add({ ...base, type: 'symlink', size: 0, linkname });
        await entry(pack, { ...header, type: 'symlink', linkname });
      } else if (st.isFile()) {
        const sha256 = await sendFile(pack, abs, { ...header, type: 'file', size: st.size }, pace);
        digest.add({ ...base, type: 'file', size: st.size, sha256 } satisfies TreeEntry);
      }
      // Sockets, fifos and devices are not data: they are not sent.
    }
    await entry(pack, { name: MANIFEST_ENTRY, type: 'file' }, Buffer.from(JSON.stringify(digest.manifest())));
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  return pack;
}

/** Every entry under `dir`, parents before children, names sorted (the digest's order). */
async function* walk(dir: string, rel: string, skip: Set<string>): AsyncGenerator<{ rel: string; abs: string }> {
  yield { rel, abs: dir };
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    if (rel === '' && skip.has(name)) continue;
    const abs = join(dir, name);
    const childRel = rel === '' ? name : `${rel}/${name}`;
    if ((await lstat(abs)).isDirectory()) yield* walk(abs, childRel, skip);
    else yield { rel: childRel, abs };
  }
}

function entry(pack: Pack, header: Parameters<Pack['entry']>[0], body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    if (body) pack.entry({ ...header, size: body.length }, body, done);
    else pack.entry(header, done);
  });
}

/** Streams one file into the pack, hashing it on the way; resolves with its sha256. */
async function sendFile(pack: Pack, abs: string, header: Parameters<Pack['entry']>[0], pace: (n: number) => Promise<void>): Promise<string> {
  const hash = createHash('sha256');
  let sink!: Writable;
  const written = new Promise<void>((resolve, reject) => {
    sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
  });
  // The reader may leave mid-file (the pack is destroyed): that ends this send, it must not crash the agent.
  written.catch(() => {});
  sink.on('error', () => {});
  if (header.size) {
    for await (const chunk of createReadStream(abs, { start: 0, end: header.size - 1, highWaterMark: 1 << 20 })) {
      if (pack.destroyed) throw new Error('the reader went away');
      hash.update(chunk as Buffer);
      await pace((chunk as Buffer).length);
      if (!sink.write(chunk)) await Promise.race([once(sink, 'drain'), written]);
    }
  }
  sink.end();
  await written;
  return hash.digest('hex');
}

/** Waits so that content goes out at no more than `bytesPerSecond` (no limit: resolves at once). */
function pacer(bytesPerSecond: number | undefined): (n: number) => Promise<void> {
  if (!bytesPerSecond) return async () => {};
  const start = Date.now();
  let sent = 0;
  return async (n) => {
    sent += n;
    const due = start + (sent / bytesPerSecond) * 1000 - Date.now();
    if (due > 0) await new Promise((r) => setTimeout(r, due));
  };
}
