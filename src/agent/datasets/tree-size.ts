// Bytes a directory tree holds: the sum of its files' sizes (what a move carries), by walking it.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export async function treeSizeBytes(dir: string): Promise<number> {
  let total = 0;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  for (const name of names) {
    const p = join(dir, name);
    const st = await lstat(p);
    if (st.isDirectory()) total += await treeSizeBytes(p);
    else if (st.isFile()) total += st.size;
  }
  return total;
}
