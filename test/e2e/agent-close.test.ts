// An agent closed with its tasks (drover dev's way) while it is still starting some: every one
// of them stops, including runs whose start was in flight when close() began.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { startAgent } from '../../src/agent/run.js';
import { startTestServer, tempDir, until, type TestServer } from '../helpers.js';
import { processesWith } from './cluster.js';

describe('an agent closed while it starts tasks', () => {
  let s: TestServer | undefined;
  after(() => s?.close());

  it('close(true) leaves no task process behind, started or starting', async () => {
    s = await startTestServer();
    const marker = `drover-close-${randomBytes(6).toString('hex')}`;
    const agent = await startAgent({ server: s.url, dataDir: tempDir('drover-agent-'), id: randomBytes(16).toString('hex'), logLevel: 'error', heartbeatMs: 500 });
    try {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          s!.client.tasks.create({ metadata: { name: `sleeper-${i}` }, spec: { machine: agent.id, template: { command: ['sleep', '300'], env: { DROVER_E2E: marker } } } }),
        ),
      );
      // Close once the first runs are up and the rest are still being started.
      await until(() => processesWith(marker).length >= 2, 'the first tasks to start');
    } finally {
      await agent.close(true);
    }
    let left: number[] = [];
    await until(() => (left = processesWith(marker)).length === 0, 'every task process to be gone', 5_000).catch(() => {
      for (const pid of left) process.kill(pid, 'SIGKILL');
      assert.fail(`task processes outlived the agent's close(true): ${left.join(', ')}`);
    });
  });
});
