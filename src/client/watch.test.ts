import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { watchStream } from './watch.js';

describe('watchStream', () => {
  it('ends at once, opening nothing, when its signal was aborted before the first next()', { timeout: 5_000 }, async () => {
    const abort = new AbortController();
    let opened = 0;
    const events = watchStream({
      signal: abort.signal,
      open: async () => {
        opened++;
        // A stream that never ends: only the abort can stop the iteration.
        return new Response(new ReadableStream({ start() {} }));
      },
    });
    abort.abort();
    const seen = [];
    for await (const ev of events) seen.push(ev);
    assert.deepEqual(seen, []);
    assert.equal(opened, 0);
  });

  it('ends when its signal is aborted while the stream is open', async () => {
    const abort = new AbortController();
    const events = watchStream({
      signal: abort.signal,
      open: async (_rev, signal) => {
        const body = new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode('{"type":"BOOKMARK","object":{"metadata":{"revision":3}}}\n'));
            signal.addEventListener('abort', () => c.error(Object.assign(new Error('aborted'), { name: 'AbortError' })));
          },
        });
        return new Response(body);
      },
    });
    const seen: string[] = [];
    for await (const ev of events) {
      seen.push(ev.type);
      abort.abort();
    }
    assert.deepEqual(seen, ['BOOKMARK']);
  });
});
