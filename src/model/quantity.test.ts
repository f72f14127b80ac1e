import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, formatCpuMilli, parseBytes, parseCpuMilli, resourceRequest } from './quantity.js';

describe('cpu quantities', () => {
  const cases: [string | number, number][] = [
    ['100m', 100],
    ['0m', 0],
    ['1500m', 1500],
    ['0.5', 500],
    ['2', 2000],
    ['0.1', 100],
    ['1.5m', 2], // rounded up to whole millicores
    ['0.0001', 1],
    [2, 2000],
    [0.25, 250],
    [0, 0],
  ];
  for (const [q, want] of cases) {
    it(`${JSON.stringify(q)} is ${want} millicores`, () => assert.equal(parseCpuMilli(q), want));
  }
  const bad: unknown[] = ['', 'abc', '1 m', '-1', '1e3', '.5', '100M', '1c', -1, NaN, Infinity, null, {}];
  for (const q of bad) {
    it(`rejects ${String(q)} with a message naming the field`, () => assert.throws(() => parseCpuMilli(q as string), /invalid cpu quantity .*cores/));
  }
});

describe('byte quantities', () => {
  const cases: [string | number, number][] = [
    ['64Mi', 64 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1G', 1e9],
    ['1k', 1000],
    ['1K', 1000],
    ['2Ki', 2048],
    ['3M', 3e6],
    ['1Ti', 2 ** 40],
    ['1T', 1e12],
    ['1Pi', 2 ** 50],
    ['1P', 1e15],
    ['123', 123],
    ['0.5Ki', 512],
    ['0.1k', 100],
    ['1.0001Ki', 1025], // rounded up to whole bytes
    [67108864, 67108864],
    [0, 0],
    [1.5, 2],
  ];
  for (const [q, want] of cases) {
    it(`${JSON.stringify(q)} is ${want} bytes`, () => assert.equal(parseBytes(q), want));
  }
  const bad: unknown[] = ['', 'lots', '64MB', '64mi', '1 Gi', '-5', '1e9', 'Gi', -1, NaN, Infinity, undefined];
  for (const q of bad) {
    it(`rejects ${String(q)} with a message naming the field`, () => assert.throws(() => parseBytes(q as string), /invalid memory quantity .*suffix/));
  }
  it('names the field it was given', () => assert.throws(() => parseBytes('x', 'disk'), /invalid disk quantity "x"/));
});

describe('resource requests', () => {
  it('reads cpu and memory, absent ones as 0', () => {
    assert.deepEqual(resourceRequest({ cpu: '250m', memory: '64Mi' }), { cpuMilli: 250, memoryBytes: 64 * 2 ** 20 });
    assert.deepEqual(resourceRequest({ memory: '1Gi' }), { cpuMilli: 0, memoryBytes: 2 ** 30 });
    assert.deepEqual(resourceRequest(undefined), { cpuMilli: 0, memoryBytes: 0 });
  });
  it('throws on a bad quantity', () => assert.throws(() => resourceRequest({ cpu: 'lots' }), /invalid cpu quantity "lots"/));
});

describe('formatting', () => {
  const cpu: [number, string][] = [
    [100, '100m'],
    [1000, '1'],
    [2500, '2.5'],
    [1234, '1.234'],
    [0, '0'],
    [Infinity, 'unlimited'],
  ];
  for (const [n, want] of cpu) it(`cpu ${n} → ${want}`, () => assert.equal(formatCpuMilli(n), want));
  const bytes: [number, string][] = [
    [64 * 2 ** 20, '64Mi'],
    [1.5 * 2 ** 30, '1.5Gi'],
    [512, '512'],
    [2048, '2Ki'],
    [0, '0'],
    [2 ** 40, '1Ti'],
    [Infinity, 'unlimited'],
  ];
  for (const [n, want] of bytes) it(`bytes ${n} → ${want}`, () => assert.equal(formatBytes(n), want));
});
