import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Task } from '../client/client.js';
import { readTaskRecord, writeTaskRecord } from './task-record.js';

describe('task record', () => {
  it('is written into the run directory, which is made when it is missing, and read back', () => {
    const root = mkdtempSync(join(tmpdir(), 'drover-record-'));
    try {
      const dir = join(root, 'a', 'b');
      const task = { apiVersion: 'drover.io/v1', kind: 'Task', metadata: { name: 't', uid: 'u1' }, spec: { template: { command: ['true'] } } } as unknown as Task;
      writeTaskRecord(dir, { task, restarts: 2 });
      assert.deepEqual(readTaskRecord(dir), { task, restarts: 2 });
      writeTaskRecord(dir, { task, restarts: 3, activated: true });
      assert.deepEqual(readTaskRecord(dir), { task, restarts: 3, activated: true });
      assert.equal(readTaskRecord(join(root, 'none')), undefined);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
