// A task's volumes ({dataset, path, readOnly} in its template): the task starts only when every
// dataset it names is held on this machine with no move open, and from then until its run ends
// it counts as a user of each (a move out waits for it). It finds each dataset's path in
// DROVER_VOLUME_<NAME>, and at `path` a symlink to it:
//   - a relative path is taken from the task's workingDir, or its directory in the agent's data
//     dir when it has none (the exec driver runs such a task in "/", where links do not belong);
//   - an absolute path gets the link (and its parent directories) when nothing is there or a
//     symlink is (replaced); anything else there is never replaced: the start fails and says so.
// readOnly is not enforced: a symlink cannot make a directory read-only (a read-only bind mount
// would; not done yet).
import { lstatSync, mkdirSync, renameSync, symlinkSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { volumeEnvName, type Task } from '../../model/index.js';
import type { LocalDatasets } from './local-datasets.js';

export interface VolumeGrant {
  env: Record<string, string>;
  /** The run started: it uses the datasets until it ends. */
  holdFor(run: { exited: Promise<unknown> }): void;
  /** The start failed: the datasets are not used after all. */
  release(): void;
}

export type VolumeAnswer = VolumeGrant | { waiting: string } | { failed: string };

export class TaskVolumes {
  constructor(private readonly local: LocalDatasets) {}

  /** Synchronous, so that no move can begin between the check and the task counting as a user. */
  grant(task: Task, taskDir: string): VolumeAnswer {
    const volumes = task.spec.template.volumes ?? [];
    const uid = task.metadata.uid;
    const got = this.local.acquire(uid, task.metadata.namespace, volumes);
    if ('waiting' in got) return got;
    const release = () => this.local.release(uid);
    try {
      for (const v of volumes) linkVolume(v.path, got.paths.get(v.dataset)!, task.spec.template.workingDir || taskDir);
    } catch (err) {
      release();
      return { failed: (err as Error).message };
    }
    const env = Object.fromEntries(volumes.map((v) => [volumeEnvName(v.dataset), got.paths.get(v.dataset)!]));
    return { env, holdFor: (run) => void run.exited.then(release, release), release };
  }

  /** A run found alive after an agent restart: it uses its datasets until it ends, whatever their state. */
  adopt(task: Task, run: { exited: Promise<unknown> }): void {
    const volumes = task.spec.template.volumes ?? [];
    if (!volumes.length) return;
    this.local.adopt(task.metadata.uid, task.metadata.namespace, volumes);
    const release = () => this.local.release(task.metadata.uid);
    void run.exited.then(release, release);
  }
}

function linkVolume(path: string, target: string, base: string): void {
  const at = isAbsolute(path) ? path : join(base, path);
  let existing;
  try {
    existing = lstatSync(at);
  } catch {
    existing = undefined;
  }
  if (existing && !existing.isSymbolicLink()) throw new Error(`volume path ${at} exists and is not a symlink: the agent links a dataset there only over nothing or a symlink; choose another path`);
  mkdirSync(dirname(at), { recursive: true });
  // A new link renamed over the old one: the path never points nowhere.
  const tmp = `${at}.drover-${process.pid}-${Date.now()}`;
  symlinkSync(target, tmp);
  renameSync(tmp, at);
}
