// Fan-out: many concurrent watchers on one server each receive every change of a burst of
// writes, in order, none lost. (The full-size run, 1,000 × 1,000, is a benchmark.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { until } from '../helpers.js';
import { send, watchNdjson, type WatchReader, useApiServer } from './support.js';

const WATCHERS = 200;
const WRITES = 300;
const CONCURRENT_WRITES = 25;

describe('watch fan-out', () => {
  const s = useApiServer();
  const watchers: WatchReader<any>[] = [];
  s.beforeClose(() => Promise.all(watchers.map((w) => w.close())));

  it(`${WATCHERS} watchers each receive all ${WRITES} changes of a burst, in order`, async () => {
    const url = `${s.url}/api/v1/machines?watch=true`;
    watchers.push(...(await Promise.all(Array.from({ length: WATCHERS }, () => watchNdjson(url)))));
    await until(() => watchers.every((w) => w.events.some((e) => e.type === 'BOOKMARK')), 'every watcher to be in sync');

    // Concurrent waves, so the writes group-commit and arrive interleaved.
    const written: { name: string; revision: number }[] = [];
    for (let i = 0; i < WRITES; i += CONCURRENT_WRITES) {
      const wave = Array.from({ length: Math.min(CONCURRENT_WRITES, WRITES - i) }, async (_, j) => {
        const name = `fan-${String(i + j).padStart(4, '0')}`;
        const res = await send(`${s.url}/api/v1/machines`, 'POST', { metadata: { name, labels: { wave: String(i) } } });
        assert.equal(res.status, 201, res.text);
        written.push({ name, revision: res.json().metadata.revision });
      });
      await Promise.all(wave);
    }
    written.sort((a, b) => a.revision - b.revision);
    assert.equal(new Set(written.map((w) => w.revision)).size, WRITES, 'one revision per write');

    const changes = (w: WatchReader<any>) => w.events.filter((e) => e.type !== 'BOOKMARK');
    await until(() => watchers.every((w) => changes(w).length >= WRITES), 'every watcher to receive every change', 30_000);
    const expected = written.map((w) => `ADDED ${w.name} ${w.revision}`);
    for (const [i, w] of watchers.entries()) {
      const got = changes(w).map((e) => `${e.type} ${e.object.metadata.name} ${e.object.metadata.revision}`);
      assert.deepEqual(got, expected, `watcher ${i}`);
    }
  });
});
