// A task template's user and group as the numeric ids the shim switches to (systemd's User=,
// Group=), resolved from this machine's /etc/passwd and /etc/group: a name means what it means
// on the machine that runs the task. A uid without a passwd entry is allowed (its gid is the
// same number unless a group is given), as systemd allows numeric User=.
import { readFileSync } from 'node:fs';

export interface Credentials {
  uid: number;
  gid: number;
  /** The user's name and home, for USER, LOGNAME and HOME (as systemd sets them). */
  name?: string;
  home?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function readLines(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

function passwd(files: RunAsFiles): PasswdEntry[] {
  return readLines(files.passwd).map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' }));
}

export interface RunAsFiles {
  passwd: string;
  group: string;
}

const SYSTEM_FILES: RunAsFiles = { passwd: '/etc/passwd', group: '/etc/group' };

/** The credentials of `user`/`group`, or undefined when neither is given (run as the agent). Throws when a name is unknown here. */
export function resolveRunAs(user: string | undefined, group: string | undefined, files: RunAsFiles = SYSTEM_FILES): Credentials | undefined {
  if (user === undefined && group === undefined) return undefined;
  const users = passwd(files);
  let entry: PasswdEntry | undefined;
  let uid: number;
  if (user === undefined) uid = process.getuid?.() ?? 0;
  else if (/^\d+$/.test(user)) {
    uid = Number(user);
    entry = users.find((u) => u.uid === uid);
  } else {
    entry = users.find((u) => u.name === user);
    if (!entry) throw new Error(`user "${user}" does not exist on this machine`);
    uid = entry.uid;
  }
  let gid: number;
  if (group === undefined) gid = entry?.gid ?? uid;
  else if (/^\d+$/.test(group)) gid = Number(group);
  else {
    const g = readLines(files.group).find((f) => f[0] === group);
    if (!g) throw new Error(`group "${group}" does not exist on this machine`);
    gid = Number(g[2]);
  }
  return { uid, gid, ...(entry ? { name: entry.name, home: entry.home } : {}) };
}

/** USER, LOGNAME and HOME for a task that runs as another user, under what the task sets itself. */
export function runAsEnv(c: Credentials | undefined): Record<string, string> {
  if (!c?.name) return {};
  return { USER: c.name, LOGNAME: c.name, HOME: c.home ?? '/' };
}
