// The directory backend: a dataset is a directory under the agent's data dir,
// <dataDir>/datasets/<id>; its size is what walking it finds.
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetStore } from './backend.js';
import { fsyncDir } from './tar-receive.js';
import { treeSizeBytes } from './tree-size.js';

export class DirectoryStore implements DatasetStore {
  readonly name = 'directory' as const;
  readonly skipAtRoot: string[] = [];

  constructor(private readonly root: string) {}

  path(id: string): string {
    return join(this.root, id);
  }

  private staging(id: string): string {
    return join(this.root, '.staging', id);
  }

  async has(id: string): Promise<boolean> {
    return exists(this.path(id));
  }

  async create(id: string): Promise<string> {
    await mkdir(this.path(id), { recursive: true, mode: 0o755 });
    await fsyncDir(this.root);
    return this.path(id);
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { recursive: true, force: true });
  }

  sizeBytes(id: string): Promise<number> {
    return treeSizeBytes(this.path(id));
  }

  async stage(id: string): Promise<string> {
    await this.discardStaging(id);
    await mkdir(this.staging(id), { recursive: true, mode: 0o755 });
    return this.staging(id);
  }

  async promote(id: string): Promise<string> {
    await rm(this.path(id), { recursive: true, force: true });
    await rename(this.staging(id), this.path(id));
    await fsyncDir(this.root);
    return this.path(id);
  }

  async discardStaging(id: string): Promise<void> {
    await rm(this.staging(id), { recursive: true, force: true });
  }
}

export async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
