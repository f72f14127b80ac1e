// A task's secrets as files: $DROVER_SECRETS_DIR/<path>/<key>, mode 0600 in directories of mode
// 0700, written fresh before every start (a changed secret is seen by the next run) and removed
// with the task's directory. The values come from the server for this start only; nothing else
// on this machine keeps them.
import { chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { TaskTemplate } from '../model/index.js';
import { resolveRunAs } from './run-as.js';

export interface SecretFileSet {
  /** Directory under the task's secrets directory. */
  path: string;
  data: Record<string, string>;
}

/** Who the files belong to: the task's user, when the agent runs tasks as another user than itself. */
export interface FileOwner {
  uid: number;
  gid: number;
}

/** Writes the files into `<taskDir>/secrets` (replacing what an earlier start left) and returns that directory. */
export function writeSecretFiles(taskDir: string, sets: SecretFileSet[], owner?: FileOwner): string {
  const root = join(taskDir, 'secrets');
  rmSync(root, { recursive: true, force: true });
  const dirs = [root];
  mkdirSync(root, { mode: 0o700 });
  for (const set of sets) {
    const dir = resolve(root, set.path);
    // The server checks paths and keys; a path that still leaves the directory is refused here too.
    if (!dir.startsWith(root + sep)) throw new Error(`secret path "${set.path}" leaves the task's secrets directory`);
    for (let d = dir; d !== root && !dirs.includes(d); d = resolve(d, '..')) dirs.push(d);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const [key, value] of Object.entries(set.data)) {
      if (key.includes('/') || key === '.' || key === '..') throw new Error(`secret key "${key}" is not a file name`);
      const file = join(dir, key);
      writeFileSync(file, value, { mode: 0o600, flag: 'wx' });
      if (owner) chownSync(file, owner.uid, owner.gid);
    }
  }
  if (owner) for (const d of dirs) chownSync(d, owner.uid, owner.gid);
  return root;
}

/**
 * Who a task's secret files belong to: the user it runs as, when that is not the agent's own (a
 * task running as nobody must read them, and no other task's user may). An unknown user is left
 * to the driver, which refuses to start the task and says why.
 */
export function secretFileOwner(template: Pick<TaskTemplate, 'user' | 'group'>): FileOwner | undefined {
  let who: ReturnType<typeof resolveRunAs>;
  try {
    who = resolveRunAs(template.user, template.group);
  } catch {
    return undefined;
  }
  if (!who || (who.uid === process.getuid?.() && who.gid === process.getgid?.())) return undefined;
  return { uid: who.uid, gid: who.gid };
}
