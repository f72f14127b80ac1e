import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogRing } from './log-ring.js';

describe('LogRing', () => {
  it('keeps the last lines up to its count, oldest first, and joins lines written in pieces', () => {
    const ring = new LogRing({ maxLines: 3 });
    ring.write('a\nb\n');
    ring.write('c\nd');
    assert.deepEqual(ring.tail(), ['a', 'b', 'c'], 'a line without its newline waits for it');
    ring.write('-end\ne\n');
    assert.deepEqual(ring.tail(), ['c', 'd-end', 'e']);
    assert.deepEqual(ring.tail(2), ['d-end', 'e']);
    assert.deepEqual(ring.tail(0), []);
  });

  it('drops the oldest lines past its byte budget, but keeps the newest even when it alone is over', () => {
    const ring = new LogRing({ maxBytes: 10 });
    ring.write('12345\n67890\nabc\n');
    assert.deepEqual(ring.tail(), ['67890', 'abc']);
    ring.write(`${'x'.repeat(50)}\n`);
    assert.deepEqual(ring.tail(), ['x'.repeat(50)]);
  });

  it('tells followers each new line until they stop', () => {
    const ring = new LogRing();
    const seen: string[] = [];
    const stop = ring.follow((l) => seen.push(l));
    ring.write('one\ntwo\n');
    stop();
    ring.write('three\n');
    assert.deepEqual(seen, ['one', 'two']);
  });
});
