// What the server learns about a host over SSH (Commissaire's investigator): its OS from
// /etc/os-release, CPU count from nproc, memory from /proc/meminfo, free space on / from df.
// The parsers are pure; gatherFacts does the I/O.
import type { SshSession } from './ssh.js';

export interface HostFacts {
  os: string;
  osName: string;
  cpus: number;
  /** Bytes. */
  memory: number;
  /** Bytes available on /. */
  space: number;
}

/** KEY=value lines, values unquoted as os-release(5) allows ("…", '…' or bare). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!;
    if (/^".*"$/.test(v)) v = v.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    else if (/^'.*'$/.test(v)) v = v.slice(1, -1);
    out[m[1]!] = v;
  }
  return out;
}

/** MemTotal in bytes (meminfo counts kB, meaning KiB). */
export function parseMemTotal(meminfo: string): number {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(meminfo);
  if (!m) throw new Error('/proc/meminfo has no MemTotal line');
  return Number(m[1]) * 1024;
}

/** The Available column of `df -P -k /` (1024-byte blocks), in bytes. */
export function parseDfAvailable(df: string): number {
  const line = df.trim().split('\n')[1];
  const available = line?.trim().split(/\s+/)[3];
  if (!available || !/^\d+$/.test(available)) throw new Error(`df printed no Available column: ${JSON.stringify(df.slice(0, 200))}`);
  return Number(available) * 1024;
}

export function parseCpuCount(nproc: string): number {
  const n = Number(nproc.trim());
  if (!Number.isInteger(n) || n < 1) throw new Error(`nproc printed ${JSON.stringify(nproc.trim())}, not a CPU count`);
  return n;
}

export async function gatherFacts(ssh: SshSession, timeoutMs: number): Promise<HostFacts> {
  const [osRelease, nproc, meminfo, df] = await Promise.all([
    ssh.check(['cat', '/etc/os-release'], { timeoutMs }),
    ssh.check(['nproc'], { timeoutMs }),
    ssh.check(['cat', '/proc/meminfo'], { timeoutMs }),
    ssh.check(['df', '-P', '-k', '/'], { timeoutMs }),
  ]);
  const os = parseOsRelease(osRelease);
  return {
    os: os.ID ?? 'unknown',
    osName: os.PRETTY_NAME ?? os.NAME ?? os.ID ?? 'unknown',
    cpus: parseCpuCount(nproc),
    memory: parseMemTotal(meminfo),
    space: parseDfAvailable(df),
  };
}
