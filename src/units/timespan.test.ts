import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTimespanMs, parseTimespanUsec } from './timespan.js';

// Answers of `systemd-analyze timespan` (systemd 252) for the same text, in microseconds.
const valid: Array<[string, number]> = [
  ['5', 5_000_000],
  ['5s', 5_000_000],
  [' 5 ', 5_000_000],
  ['+5', 5_000_000],
  ['0', 0],
  ['500ms', 500_000],
  ['0.5ms', 500],
  ['1min 30s', 90_000_000],
  ['1min30', 90_000_000],
  ['1.5 min', 90_000_000],
  ['5 s', 5_000_000],
  ['5s 3', 8_000_000],
  ['1s1s', 2_000_000],
  ['.5', 500_000],
  ['0.1', 100_000],
  ['1 .5', 1_500_000],
  ['12.34s.56', 12_900_000],
  ['12.34 .56', 12_900_000],
  ['1.23456789s', 1_234_567],
  ['1.0000001s', 1_000_000],
  ['1.5h', 5_400_000_000],
  ['5 hr', 18_000_000_000],
  ['1hours', 3_600_000_000],
  ['2 h 1 m', 7_260_000_000],
  ['2.5d', 216_000_000_000],
  ['3 weeks 2 days', 1_987_200_000_000],
  ['1M', 2_629_800_000_000],
  ['1.5M', 3_944_700_000_000],
  ['1y', 31_557_600_000_000],
  ['1y 1M', 34_187_400_000_000],
  ['1 sec 1 usec', 1_000_001],
  ['1µs', 1],
  ['1μs', 1],
  ['infinity', Infinity],
  [' infinity ', Infinity],
];
const invalid = ['', '5.', '3.sec', '3.s', '1.5.2', '5sx', '5 s s', 'infinityx', '-0', '-5', '+ 5', '5+3', '1e3', '1,5s', '3.-1', '1mo', '1Min', '18446744073709551615'];

describe('parseTimespanUsec', () => {
  for (const [text, usec] of valid) it(`reads ${JSON.stringify(text)} as ${usec} µs`, () => assert.equal(parseTimespanUsec(text), usec));
  for (const text of invalid) it(`refuses ${JSON.stringify(text)}`, () => assert.equal(parseTimespanUsec(text), undefined));
  it('uses the given unit for bare numbers', () => assert.equal(parseTimespanUsec('5', 1000), 5000));
});

describe('parseTimespanMs', () => {
  it('converts to milliseconds, keeping fractions and infinity', () => {
    assert.equal(parseTimespanMs('1min 30s'), 90_000);
    assert.equal(parseTimespanMs('250us'), 0.25);
    assert.equal(parseTimespanMs('infinity'), Infinity);
    assert.equal(parseTimespanMs('soon'), undefined);
  });
});
