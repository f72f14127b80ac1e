// Ports as a per-machine resource (Nomad's network resource): a fixed port is taken on its
// machine for its protocol, and dynamic ports come from the server's range, never clashing with
// any other task's port there. A machine's used ports are one set of keys (port × protocol), so
// a check costs a lookup per fixed port and, for dynamic ones, a count over that machine's set.
import type { ResolvedPort } from '../model/template.js';

export interface PortRange {
  /** First and last port, inclusive. */
  from: number;
  to: number;
}

/** Nomad's default dynamic range is 20000–32000; ours stays clear of Linux's ephemeral ports (32768+). */
export const DEFAULT_PORT_RANGE: PortRange = { from: 20000, to: 29999 };

/** "20000-29999" → a range; throws a message naming the rule when it is not one. */
export function parsePortRange(text: string): PortRange {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  const from = m ? Number(m[1]) : NaN;
  const to = m ? Number(m[2]) : NaN;
  if (!m || from < 1 || to > 65535 || from > to) throw new Error(`"${text}" is not a port range: give FIRST-LAST, 1 ≤ FIRST ≤ LAST ≤ 65535 (e.g. 20000-29999)`);
  return { from, to };
}

/** One used port of a machine: port and protocol in one number. */
export function portKey(port: number, protocol: 'tcp' | 'udp'): number {
  return port * 2 + (protocol === 'udp' ? 1 : 0);
}

export function portText(key: number): string {
  return `${key >> 1}/${key & 1 ? 'udp' : 'tcp'}`;
}

/** The fixed port of `ports` already used on a machine ("80/tcp"), or undefined. */
export function takenFixedPort(used: ReadonlySet<number> | undefined, ports: readonly ResolvedPort[]): string | undefined {
  const mine = new Set<number>();
  for (const p of ports) {
    if (p.port === undefined) continue;
    const key = portKey(p.port, p.protocol);
    if (used?.has(key) || mine.has(key)) return portText(key);
    mine.add(key);
  }
  return undefined;
}

/** The protocol whose dynamic ports the range cannot supply on a machine, or undefined. */
export function shortOfDynamicPorts(used: ReadonlySet<number> | undefined, ports: readonly ResolvedPort[], range: PortRange): 'tcp' | 'udp' | undefined {
  for (const protocol of ['tcp', 'udp'] as const) {
    const wanted = ports.filter((p) => p.port === undefined && p.protocol === protocol).length;
    if (wanted === 0) continue;
    let taken = 0;
    const seen = new Set<number>();
    const count = (port: number) => {
      if (port < range.from || port > range.to || seen.has(port)) return;
      seen.add(port);
      taken++;
    };
    for (const key of used ?? []) if ((key & 1) === (protocol === 'udp' ? 1 : 0)) count(key >> 1);
    for (const p of ports) if (p.port !== undefined && p.protocol === protocol) count(p.port);
    if (range.to - range.from + 1 - taken < wanted) return protocol;
  }
  return undefined;
}

/**
 * Ports for a task placed on a machine whose ports `used` holds (fixed and dynamic feasibility
 * checked before). Each dynamic port is the first free one from a start derived from the task's
 * name: deterministic, yet a replacement does not get the port its predecessor may still hold
 * while it stops.
 */
export function allocatePorts(used: ReadonlySet<number> | undefined, ports: readonly ResolvedPort[], range: PortRange, task: string): { name: string; port: number; protocol: 'tcp' | 'udp' }[] {
  const size = range.to - range.from + 1;
  const taken = new Set<number>(used);
  for (const p of ports) if (p.port !== undefined) taken.add(portKey(p.port, p.protocol));
  let offset = hash(task) % size;
  return ports.map((p) => {
    if (p.port !== undefined) return { name: p.name, port: p.port, protocol: p.protocol };
    for (let n = 0; n < size; n++, offset = (offset + 1) % size) {
      const port = range.from + offset;
      const key = portKey(port, p.protocol);
      if (taken.has(key)) continue;
      taken.add(key);
      return { name: p.name, port, protocol: p.protocol };
    }
    throw new Error(`no free ${p.protocol} port in ${range.from}-${range.to}`); // checked feasible before
  });
}

/** FNV-1a: a cheap, stable spread of names over the range. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
