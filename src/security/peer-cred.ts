// Who is on the other end of the API's unix socket: the peer's uid from SO_PEERCRED (a tiny
// Node-API addon, dist/drover-peercred.node, built with the shim). root, the server's own user
// and members of the socket's group are administrators; any other local user is "unix:<name>"
// with no groups (authenticated, and the authorizer decides). Without the addon (no compiler or
// Node headers at build time) the socket's mode 0660 and group decide who may connect, and
// whoever connects is an administrator.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { ADMINISTRATORS_GROUP, type Principal } from './principal.js';

interface PeerCredAddon {
  peerCred(fd: number): { pid: number; uid: number; gid: number };
}

const addonPath = join(packageRoot, 'dist', 'drover-peercred.node');
const addon: PeerCredAddon | undefined = existsSync(addonPath) ? (createRequire(import.meta.url)(addonPath) as PeerCredAddon) : undefined;

/** Whether peers are told apart by uid (else the socket's file mode is the only check). */
export const hasPeerCredentials = addon !== undefined;

/** A socket peer when the addon is missing: whoever the file mode let in. */
const socketAdministrator: Principal = Object.freeze({ name: 'system:unix-socket', groups: [ADMINISTRATORS_GROUP], anonymous: false });

/** The principal of the peer connected on `socket`; `adminGid`: the --socket-group's id. */
export function socketPeer(socket: Socket, adminGid: number | undefined): Principal {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (!addon || fd === undefined || fd < 0) return socketAdministrator;
  const { uid, gid } = addon.peerCred(fd);
  const name = userName(uid) ?? String(uid);
  const isAdmin = uid === 0 || uid === process.getuid?.() || (adminGid !== undefined && (gid === adminGid || groupMembers(adminGid).includes(name)));
  return { name: `unix:${name}`, groups: isAdmin ? [ADMINISTRATORS_GROUP] : [], anonymous: false };
}

function userName(uid: number): string | undefined {
  return readDb('/etc/passwd').find((f) => Number(f[2]) === uid)?.[0];
}

function groupMembers(gid: number): string[] {
  return readDb('/etc/group').find((f) => Number(f[2]) === gid)?.[3]?.split(',').filter(Boolean) ?? [];
}

function readDb(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}
