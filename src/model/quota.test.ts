import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quotaExcess } from './quota.js';

describe('quotaExcess', () => {
  const used = { cpuMilli: 3000, memoryBytes: 1024 ** 3, tasks: 3 };
  const cases: [string, Parameters<typeof quotaExcess>[1], { cpuMilli: number; memoryBytes: number; tasks: number }, string | undefined][] = [
    ['no quota', undefined, { cpuMilli: 99_000, memoryBytes: 0, tasks: 1 }, undefined],
    ['fits', { cpu: 4, tasks: 4 }, { cpuMilli: 1000, memoryBytes: 0, tasks: 1 }, undefined],
    ['cpu past it', { cpu: 4 }, { cpuMilli: 2000, memoryBytes: 0, tasks: 1 }, 'exceeded quota of namespace "ns": requested cpu=2, used 3, limited 4'],
    ['millicores', { cpu: '3500m' }, { cpuMilli: 600, memoryBytes: 0, tasks: 1 }, 'exceeded quota of namespace "ns": requested cpu=600m, used 3, limited 3.5'],
    ['memory past it', { memory: '1Gi' }, { cpuMilli: 0, memoryBytes: 64 * 1024 ** 2, tasks: 1 }, 'exceeded quota of namespace "ns": requested memory=64Mi, used 1Gi, limited 1Gi'],
    ['task count first', { tasks: 3, cpu: 1 }, { cpuMilli: 0, memoryBytes: 0, tasks: 1 }, 'exceeded quota of namespace "ns": requested tasks=1, used 3, limited 3'],
  ];
  for (const [name, quota, ask, expected] of cases) {
    it(name, () => assert.equal(quotaExcess('ns', quota, used, ask), expected));
  }
});
