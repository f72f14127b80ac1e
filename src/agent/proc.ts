// Facts about processes from /proc: whether a pid is alive (a zombie is not: PID 1 here does
// not reap orphans), and its start time, which together with the pid names a process uniquely.
import { readFileSync } from 'node:fs';

export interface ProcessId {
  pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks since boot). */
  startTime: number;
}

export function readStat(pid: number): { state: string; startTime: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0]!, startTime: Number(rest[19]) };
}

/** True when this exact process (pid and start time) exists and is not a zombie. */
export function isAlive(id: ProcessId): boolean {
  const st = readStat(id.pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X' && st.startTime === id.startTime;
}

/** Parses "PID STARTTIME" as the shim writes it. */
export function parseProcessId(text: string): ProcessId | undefined {
  const [pid, start] = text.trim().split(/\s+/).map(Number);
  if (!pid || !Number.isFinite(start)) return undefined;
  return { pid, startTime: start! };
}
