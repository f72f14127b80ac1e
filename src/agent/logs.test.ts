// Reading a task's log and following it on: every record once, a line still being written sent
// whole by the follow and not half by the read.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { followLog, readLog, type LogRecord } from './logs.js';
import { until } from '../../test/until.js';

const rec = (time: string, text: string, stream = 'stdout') => `${time} ${stream} F ${text}\n`;

describe('readLog then followLog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-logs-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the complete lines, and the follow sends the half-written one whole, once', async () => {
    writeFileSync(join(dir, 'output.log'), rec('2026-01-01T00:00:01.000000001Z', 'one') + rec('2026-01-01T00:00:02.000000000Z', 'two', 'stderr') + '2026-01-01T00:00:03.000000000Z stdout F thr');
    const { records, offset } = await readLog(dir, {});
    assert.deepEqual(records.map((r) => r.text), ['one', 'two']);
    const followed: LogRecord[] = [];
    const stop = new AbortController();
    const done = followLog(dir, offset, {}, (r) => followed.push(r), stop.signal);
    appendFileSync(join(dir, 'output.log'), 'ee\n' + rec('2026-01-01T00:00:04.000000000Z', 'four'));
    await until(() => followed.length >= 2, 'the follow to send the new lines');
    stop.abort();
    await done;
    assert.deepEqual(followed.map((r) => r.text), ['three', 'four']);
  });

  it('since keeps records at and after the instant, compared at nanosecond precision', async () => {
    const { records } = await readLog(dir, { since: '2026-01-01T00:00:01.000000001Z' });
    assert.deepEqual(records.map((r) => r.text), ['one', 'two', 'three', 'four']);
    const later = await readLog(dir, { since: '2026-01-01T00:00:01.000000002Z', stream: 'stdout' });
    assert.deepEqual(later.records.map((r) => r.text), ['three', 'four']);
  });
});
