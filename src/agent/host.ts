// What the agent publishes about its host: name, primary address, capacity.
import { statfsSync } from 'node:fs';
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
