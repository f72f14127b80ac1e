// What the agent publishes about its host: name, primary address, capacity, usage.
import { readFileSync, statfsSync } from 'node:fs';
import { cpus, hostname, networkInterfaces, totalmem } from 'node:os';

export interface HostFacts {
  hostname: string;
  address: string;
  capacity: { cpu: string; memory: number; disk: number };
}

export function hostFacts(dataDir: string, overrides: { hostname?: string; cpu?: string; memory?: number } = {}): HostFacts {
  let disk = 0;
  try {
    const st = statfsSync(dataDir);
    disk = st.blocks * st.bsize;
  } catch {
    // unknown
  }
  return {
    hostname: overrides.hostname ?? hostname(),
    address: primaryAddress(),
    capacity: { cpu: overrides.cpu ?? String(cpus().length), memory: overrides.memory ?? totalmem(), disk },
  };
}

/** The first non-internal IPv4 address, else loopback. */
export function primaryAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/**
 * What the whole machine uses, from /proc: busy CPU time so far (user, nice, system, irq,
 * softirq, steal: everything but idle and iowait) in ticks, and memory in use as `free` counts it
 * (MemTotal - MemAvailable). Undefined where /proc cannot say.
 */
export function hostUsage(): { cpuTicks: number; memoryBytes: number } | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'latin1');
    const f = cpu.slice(0, cpu.indexOf('\n')).split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    const meminfo = readFileSync('/proc/meminfo', 'latin1');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1]);
    const memoryBytes = (kb('MemTotal') - kb('MemAvailable')) * 1024;
    if (!Number.isFinite(memoryBytes)) return undefined;
    return { cpuTicks: user + nice + system + irq + softirq + steal, memoryBytes };
  } catch {
    return undefined;
  }
}
