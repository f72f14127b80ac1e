// A template's `requires`: programs that must be on the machine before a task may start. Checked
// by the agent in its own PATH (the one tasks get), so a missing program is one clear failure
// (MissingBinary) instead of a process that exits 127 and is restarted forever.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Whether `program` (a name looked up in `path`, or a path) is an executable file. */
export function findProgram(program: string, path: string): string | undefined {
  const candidates = program.includes('/') ? [program] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, program));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Why a task of this template cannot start on `machine`, or undefined when every required program is there. */
export function missingPrograms(requires: readonly string[] | undefined, path: string, machine: string, from?: string): string | undefined {
  const missing = (requires ?? []).filter((p) => !findProgram(p, path));
  if (missing.length === 0) return undefined;
  return `${missing.join(', ')} not found in PATH on machine ${machine}${from ? `; ${from}` : ''}`;
}
