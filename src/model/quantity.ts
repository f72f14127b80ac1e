// Resource quantities as the API accepts them ("100m", 0.5, "64Mi", "1G") turned into the plain
// integers the scheduler adds and compares and the agent enforces: millicores and bytes.
import type { TaskTemplate } from './template.js';

type Quantity = string | number;

const CPU = /^([0-9]+(?:\.[0-9]+)?)(m?)$/;
const BYTES = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|k|K|M|G|T|P)?$/;

const BYTE_SUFFIX: Record<string, number> = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};

/**
 * cpu as cores (2, 0.5, "0.5") or millicores ("100m") → whole millicores, rounded up as
 * Kubernetes does (a request never shrinks below what was asked).
 */
export function parseCpuMilli(q: Quantity, field = 'cpu'): number {
  if (typeof q === 'number') {
    if (!Number.isFinite(q) || q < 0) throw new Error(`invalid ${field} quantity ${q}: use cores (0.5) or millicores ("500m")`);
    return Math.ceil(roundFloat(q * 1000));
  }
  const m = typeof q === 'string' ? CPU.exec(q) : null;
  if (!m) throw new Error(`invalid ${field} quantity ${JSON.stringify(q)}: use cores (0.5) or millicores ("500m")`);
  const n = Number(m[1]);
  return Math.ceil(roundFloat(m[2] === 'm' ? n : n * 1000));
}

/**
 * Bytes (67108864) or a number with a decimal (k/K, M, G, T, P) or binary (Ki, Mi, Gi, Ti, Pi)
 * suffix → whole bytes, rounded up.
 */
export function parseBytes(q: Quantity, field = 'memory'): number {
  if (typeof q === 'number') {
    if (!Number.isFinite(q) || q < 0) throw new Error(`invalid ${field} quantity ${q}: use bytes (67108864) or a suffix ("64Mi", "1G")`);
    return Math.ceil(q);
  }
  const m = typeof q === 'string' ? BYTES.exec(q) : null;
  if (!m) throw new Error(`invalid ${field} quantity ${JSON.stringify(q)}: use bytes (67108864) or a suffix ("64Mi", "1G")`);
  return Math.ceil(roundFloat(Number(m[1]) * BYTE_SUFFIX[m[2] ?? '']));
}

/** What a task template asks for; an absent quantity asks for nothing. */
export function resourceRequest(resources: TaskTemplate['resources']): { cpuMilli: number; memoryBytes: number } {
  return {
    cpuMilli: resources?.cpu === undefined ? 0 : parseCpuMilli(resources.cpu),
    memoryBytes: resources?.memory === undefined ? 0 : parseBytes(resources.memory),
  };
}

/** Below a core in millicores, else in cores: 250 → "250m", 1500 → "1.5", 2000 → "2". */
export function formatCpuMilli(milli: number): string {
  if (milli === Infinity) return 'unlimited';
  return milli < 1000 && milli > 0 ? `${milli}m` : String(milli / 1000);
}

/** Largest binary unit that keeps the number readable: 67108864 → "64Mi", 1610612736 → "1.5Gi". */
export function formatBytes(bytes: number): string {
  if (bytes === Infinity) return 'unlimited';
  const units = ['Pi', 'Ti', 'Gi', 'Mi', 'Ki'];
  for (let i = 0; i < units.length; i++) {
    const size = 2 ** (10 * (units.length - i));
    if (bytes >= size) {
      const n = Math.round((bytes / size) * 10) / 10;
      return `${n}${units[i]}`;
    }
  }
  return String(bytes);
}

// 0.1 * 1000 is 100.00000000000001: trim binary noise before rounding up.
function roundFloat(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
