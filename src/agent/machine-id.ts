// The machine's identity: a 32-hex id like systemd's machine-id (fleet shows and uses it).
// --id wins; else the id kept in the data dir from an earlier start; else /etc/machine-id on
// first start; else a random one. Whatever is chosen is kept for the next start.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MACHINE_ID = /^[0-9a-f]{32}$/;

export function isMachineId(s: string): boolean {
  return MACHINE_ID.test(s);
}

export function randomMachineId(): string {
  return randomBytes(16).toString('hex');
}

export function resolveMachineId(dataDir: string, explicit?: string, systemFile = '/etc/machine-id'): string {
  const kept = join(dataDir, 'machine-id');
  let id = explicit?.trim().toLowerCase();
  if (id !== undefined && !isMachineId(id)) throw new Error(`--id must be 32 lowercase hex characters (like /etc/machine-id), got "${explicit}"`);
  id ??= read(kept) ?? read(systemFile) ?? randomMachineId();
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(kept, id + '\n');
  return id;
}

function read(path: string): string | undefined {
  try {
    const v = readFileSync(path, 'utf8').trim().toLowerCase();
    return isMachineId(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
