// Real files for the dataset tests: a tree with a few MB of random bytes, a nested directory, a
// symlink, an empty file and unusual mode bits; and a fingerprint of a tree (every entry's
// path, type, mode, size and sha256 or link target) to compare two copies byte for byte.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, Dataset } from '../../src/client/client.js';
import { until } from '../helpers.js';

/** Fills `dir` (which exists) with a varied tree; `megabytes` of random content in all. */
export function fillTree(dir: string, megabytes = 4): void {
  mkdirSync(join(dir, 'nested', 'deeper'), { recursive: true });
  const mb = 1024 * 1024;
  for (let i = 0; i < megabytes; i++) writeFileSync(join(dir, `blob-${i}.bin`), randomBytes(mb));
  writeFileSync(join(dir, 'nested', 'deeper', 'note.txt'), 'hello from the dataset\n');
  writeFileSync(join(dir, 'nested', 'odd-size.bin'), randomBytes(12_345));
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'script.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(dir, 'script.sh'), 0o750);
  chmodSync(join(dir, 'nested', 'deeper'), 0o700);
  symlinkSync('nested/deeper/note.txt', join(dir, 'link-to-note'));
}

/** One line per entry, sorted: what two identical copies share (lost+found, a file system's own, is left out). */
export function fingerprint(dir: string): string {
  const lines: string[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      if (rel === '' && name === 'lost+found') continue;
      const p = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        lines.push(`${r} dir ${mode}`);
        walk(p, r);
      } else if (st.isSymbolicLink()) lines.push(`${r} symlink -> ${readlinkSync(p)}`);
      else lines.push(`${r} file ${mode} ${st.size} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir, '');
  return lines.join('\n');
}

/** Waits until the dataset is Ready on `machine` with no move open; resolves with it. */
export function heldOn(client: Client, name: string, machine: string, timeoutMs = 30_000): Promise<Dataset> {
  let last: Dataset | undefined;
  return until(
    async () => {
      last = await client.datasets.get(name);
      return last.status?.machine === machine && !last.status.move && last.status.phase === 'Ready' && last;
    },
    () => `dataset "${name}" to be Ready on ${machine}; last status: ${JSON.stringify(last?.status)}`,
    timeoutMs,
  );
}
