// A small tmpfs is a real full disk for a test: writes past its size fail with ENOSPC. Mounting
// needs root; a test that cannot mount skips with the reason.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export interface Tmpfs {
  dir: string;
  /** Fills the file system to the last byte with a file of its own; returns the file's path. */
  fill(): string;
  unmount(): void;
}

/** Mounts a tmpfs of `sizeBytes` on a new directory, or skips the test (saying why) and returns undefined. */
export function mountTmpfs(t: TestContext, sizeBytes: number): Tmpfs | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'drover-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const said = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim().split('\n')[0];
    const reason = `cannot mount a tmpfs (needs root): ${said}`;
    console.log(`skipped: ${reason}`);
    t.skip(reason);
    return undefined;
  }
  let fills = 0;
  return {
    dir,
    fill() {
      const file = join(dir, `filler-${fills++}`);
      const fd = openSync(file, 'w');
      try {
        for (const chunkBytes of [1024 * 1024, 4096, 512, 1]) {
          const chunk = Buffer.alloc(chunkBytes, 1);
          try {
            for (;;) writeSync(fd, chunk);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          }
        }
      } finally {
        closeSync(fd);
      }
      return file;
    },
    unmount() {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        // Still in use by something the failed test left open: detach it now, freed when closed.
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
