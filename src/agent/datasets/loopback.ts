// The loopback backend: a dataset is an ext4 image file of its maximumSize (sparse) under the
// agent's data dir, <dataDir>/datasets/<id>.img, loop-mounted at <dataDir>/datasets/<id>. A move
// carries the files inside the mounted file system, not the image: the receiver makes its own
// image of the same size and fills it, so a mostly empty 10 GiB dataset moves its used bytes only.
import { execFile } from 'node:child_process';
import { mkdir, open, rename, rm, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { DatasetStore } from './backend.js';
import { exists } from './directory.js';
import { fsyncDir } from './tar-receive.js';

const run = promisify(execFile);

export class LoopbackStore implements DatasetStore {
  readonly name = 'loopback' as const;
  readonly skipAtRoot = ['lost+found'];

  constructor(private readonly root: string) {}

  path(id: string): string {
    return join(this.root, id);
  }

  private image(id: string): string {
    return join(this.root, `${id}.img`);
  }

  private stagingMount(id: string): string {
    return join(this.root, '.staging', id);
  }

  private stagingImage(id: string): string {
    return join(this.root, '.staging', `${id}.img`);
  }

  async has(id: string): Promise<boolean> {
    return exists(this.image(id));
  }

  async create(id: string, maximumSize: number | undefined): Promise<string> {
    if (!(await exists(this.image(id)))) {
      const fresh = `${this.image(id)}.new`;
      await makeImage(fresh, sizeOf(maximumSize));
      await rename(fresh, this.image(id));
      await fsyncDir(this.root);
    }
    await mountAt(this.image(id), this.path(id));
    return this.path(id);
  }

  async remove(id: string): Promise<void> {
    await unmount(this.path(id));
    await rm(this.path(id), { recursive: false, force: true }).catch(() => rm(this.path(id), { recursive: true, force: true }));
    await rm(this.image(id), { force: true });
  }

  /** Blocks in use inside the mounted file system: one statfs, not a walk. */
  async sizeBytes(id: string): Promise<number> {
    if (!(await isMountPoint(this.path(id)))) return 0;
    const s = await statfs(this.path(id));
    return (s.blocks - s.bfree) * s.bsize;
  }

  async stage(id: string, maximumSize: number | undefined): Promise<string> {
    await this.discardStaging(id);
    await mkdir(dirname(this.stagingImage(id)), { recursive: true });
    await makeImage(this.stagingImage(id), sizeOf(maximumSize));
    await mountAt(this.stagingImage(id), this.stagingMount(id));
    return this.stagingMount(id);
  }

  async promote(id: string): Promise<string> {
    // Unmounting flushes the file system; the image is then fsynced and renamed into place.
    await unmount(this.stagingMount(id));
    const fh = await open(this.stagingImage(id), 'r+');
    await fh.sync();
    await fh.close();
    await this.remove(id);
    await rename(this.stagingImage(id), this.image(id));
    await fsyncDir(this.root);
    await rm(this.stagingMount(id), { recursive: true, force: true });
    await mountAt(this.image(id), this.path(id));
    return this.path(id);
  }

  async discardStaging(id: string): Promise<void> {
    await unmount(this.stagingMount(id));
    await rm(this.stagingMount(id), { recursive: true, force: true });
    await rm(this.stagingImage(id), { force: true });
  }
}

function sizeOf(maximumSize: number | undefined): number {
  if (!maximumSize) throw new Error('a loopback dataset needs a maximumSize (the size of its image)');
  return maximumSize;
}

async function makeImage(file: string, sizeBytes: number): Promise<void> {
  const fh = await open(file, 'w', 0o600);
  await fh.truncate(sizeBytes);
  await fh.close();
  await sh('mkfs.ext4', ['-F', '-q', file]);
}

async function mountAt(image: string, mountPoint: string): Promise<void> {
  await mkdir(mountPoint, { recursive: true });
  if (await isMountPoint(mountPoint)) return;
  await sh('mount', ['-o', 'loop', image, mountPoint]);
}

async function unmount(mountPoint: string): Promise<void> {
  if (await isMountPoint(mountPoint)) await sh('umount', [mountPoint]);
}

/** A mount point sits on another device than its parent directory. */
export async function isMountPoint(dir: string): Promise<boolean> {
  try {
    const [self, parent] = await Promise.all([stat(dir), stat(dirname(dir))]);
    return self.dev !== parent.dev;
  } catch {
    return false;
  }
}

async function sh(cmd: string, args: string[]): Promise<void> {
  try {
    await run(cmd, args, { timeout: 60_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr || e.message).trim().split('\n')[0]}`, { cause: err });
  }
}

/** Whether this machine can loop-mount an ext4 image (root, mkfs.ext4, loop devices): undefined if so, else why not. */
export async function loopbackUnavailable(root: string): Promise<string | undefined> {
  const dir = join(root, '.staging', 'probe');
  const image = `${dir}.img`;
  try {
    await mkdir(dirname(image), { recursive: true });
    await makeImage(image, 8 * 1024 * 1024);
    await mountAt(image, dir);
    await unmount(dir);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await unmount(dir).catch(() => {});
    await rm(dir, { recursive: true, force: true });
    await rm(image, { force: true });
  }
}
