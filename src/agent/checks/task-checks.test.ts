import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { until } from '../../../test/until.js';
import type { CheckResult, Condition, HealthCheck, Task } from '../../model/index.js';
import { TaskChecks } from './task-checks.js';

function taskWith(checks: HealthCheck[]): Task {
  return {
    apiVersion: 'drover/v1',
    kind: 'Task',
    metadata: { name: 't', uid: 'u', revision: 1, generation: 1, createdAt: '', updatedAt: '' },
    spec: { template: { command: ['true'], checks } },
    status: {},
  };
}

describe('the checks of one run', () => {
  let server: Server;
  let port: number;
  let healthy = true;
  let hits = 0;
  before(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.writeHead(healthy ? 200 : 503).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  it('reports only transitions: ChecksPending, Ready, ReadinessCheckFailed, Ready again — not every attempt', async () => {
    healthy = true;
    hits = 0;
    const changes: { checks: CheckResult[]; ready: Omit<Condition, 'lastTransitionTime'> }[] = [];
    const failed: string[] = [];
    const checks = new TaskChecks({
      task: taskWith([{ name: 'web', type: 'http', port, intervalSeconds: 0.1, failureThreshold: 2 }]),
      execContext: () => ({ env: {}, cwd: '/' }),
      onChange: (c, ready) => changes.push({ checks: c, ready }),
      onReadinessFailed: (check, output) => failed.push(`${check.name}: ${output}`),
      onLivenessFailed: () => assert.fail('no liveness check'),
    });
    checks.start();
    try {
      assert.equal(changes[0]!.ready.reason, 'ChecksPending', 'said at once, before any result');
      await until(() => changes.at(-1)?.ready.status === 'True', 'Ready');
      const hitsWhenReady = hits;
      await until(() => hits >= hitsWhenReady + 5, 'five more passing attempts');
      assert.equal(changes.length, 2, 'passing attempts after the first write nothing');
      healthy = false;
      await until(() => changes.at(-1)?.ready.reason === 'ReadinessCheckFailed', 'the failure');
      assert.equal(changes.at(-1)!.ready.message, 'check web failed: HTTP 503 (expected 200-399)');
      assert.deepEqual(failed, ['web: HTTP 503 (expected 200-399)']);
      assert.equal(changes.at(-1)!.checks[0]!.status, 'failing');
      healthy = true;
      await until(() => changes.at(-1)?.ready.status === 'True', 'Ready again');
      assert.equal(changes.length, 4);
    } finally {
      checks.stop();
    }
    const after = hits;
    await new Promise((r) => setTimeout(r, 400)); // four intervals: no attempt may come after stop()
    assert.equal(hits, after, 'stopped checks make no more attempts');
  });

  it('a task without readiness checks is Ready at once; a liveness check that keeps failing calls for a restart once', async () => {
    healthy = false;
    const readies: string[] = [];
    const liveness: string[] = [];
    const checks = new TaskChecks({
      task: taskWith([{ name: 'alive', type: 'http', role: 'liveness', port, intervalSeconds: 0.05, failureThreshold: 3 }]),
      execContext: () => ({ env: {}, cwd: '/' }),
      onChange: (_c, ready) => readies.push(`${ready.status} ${ready.reason}`),
      onLivenessFailed: (check, output) => liveness.push(`${check.name}: ${output}`),
    });
    const from = hits;
    checks.start();
    try {
      assert.equal(readies[0], 'True Running');
      await until(() => liveness.length === 1, 'the liveness failure');
      assert.deepEqual(liveness, ['alive: HTTP 503 (expected 200-399)']);
      assert.equal(hits - from, 3, 'failureThreshold attempts, then no more: the run is restarted');
    } finally {
      checks.stop();
      healthy = true;
    }
  });

  it('many attempts leave no listener behind (a signal shared across attempts leaked one per attempt)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const from = hits;
    const checks = new TaskChecks({
      task: taskWith([{ type: 'http', port, intervalSeconds: 0.1 }, { type: 'tcp', port, intervalSeconds: 0.1 }]),
      execContext: () => ({ env: {}, cwd: '/' }),
      onChange: () => {},
      onLivenessFailed: () => {},
    });
    checks.start();
    try {
      await until(() => hits - from >= 15, 'fifteen http attempts (and as many tcp ones)');
    } finally {
      checks.stop();
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings.filter((w) => w === 'MaxListenersExceededWarning'), []);
  });
});
