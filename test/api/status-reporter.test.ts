// The agent's status reporter against a real server: a burst of reports for many tasks goes out
// as one request, each task's changes coalesced; against a server without the batch route (an
// older one, here the same server behind a proxy that does not know it) it sends one PATCH each.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusReporter } from '../../src/agent/status-reporter.js';
import { Client } from '../../src/client/client.js';
import { http } from '../helpers.js';
import { createTask, olderServer, requests, send, useApiServer } from './support.js';

describe("the agent's status reporter", () => {
  const s = useApiServer();

  const setUp = async (machine: string, count: number) => {
    assert.equal((await send(`${s.api}/machines`, 'POST', { metadata: { name: machine } })).status, 201);
    const tasks = [];
    for (let i = 0; i < count; i++) tasks.push(await createTask(s.url, `${machine}-t${i}`, machine));
    return tasks as { metadata: { name: string; uid: string } }[];
  };

  it('sends a burst of reports for many tasks as one request, each task with all its changes', async () => {
    const tasks = await setUp('rep-m1', 30);
    const batches = await requests(s.url, 'POST', '/api/v1/machines/:name/taskstatus');
    const patches = await requests(s.url, 'PATCH', '/api/v1/tasks/:name/status');
    const errors: unknown[] = [];
    const reporter = new StatusReporter(new Client({ server: s.url }), 'rep-m1', (err) => errors.push(err));
    for (const t of tasks) {
      reporter.report(t.metadata.uid, t.metadata.name, { phase: 'Starting' });
      reporter.report(t.metadata.uid, t.metadata.name, { phase: 'Running', pid: 100 });
    }
    await reporter.drained();
    assert.deepEqual(errors, []);
    for (const t of tasks) {
      const now = (await http(`${s.api}/tasks/${t.metadata.name}`)).json();
      assert.deepEqual([now.status.phase, now.status.pid], ['Running', 100], t.metadata.name);
    }
    assert.equal((await requests(s.url, 'POST', '/api/v1/machines/:name/taskstatus')) - batches, 1, 'one request for the 30 tasks');
    assert.equal((await requests(s.url, 'PATCH', '/api/v1/tasks/:name/status')) - patches, 0);
    reporter.close();
  });

  it('keeps each task\'s reports in order and drops one for a task that is gone, without holding up the others', async () => {
    const [a, b] = await setUp('rep-m2', 2);
    const errors: unknown[] = [];
    const reporter = new StatusReporter(new Client({ server: s.url }), 'rep-m2', (err) => errors.push(err));
    reporter.report(a!.metadata.uid, a!.metadata.name, { phase: 'Running', pid: 1 });
    reporter.report('no-such-uid', b!.metadata.name, { phase: 'Running' });
    await new Promise((r) => setImmediate(r)); // the first request is on its way: the next reports wait for it
    reporter.report(a!.metadata.uid, a!.metadata.name, { phase: 'Succeeded', pid: null, exitCode: 0 });
    await reporter.drained();
    assert.deepEqual(errors, []);
    const now = (await http(`${s.api}/tasks/${a!.metadata.name}`)).json();
    assert.deepEqual([now.status.phase, now.status.exitCode], ['Succeeded', 0]);
    assert.notEqual((await http(`${s.api}/tasks/${b!.metadata.name}`)).json().status?.phase, 'Running', 'a report guarded by another uid never lands');
    reporter.close();
  });

  it('falls back to one PATCH per task on a server without the batch route', async () => {
    const tasks = await setUp('rep-m3', 5);
    const older = await olderServer(s.url, '/taskstatus');
    try {
      const patches = await requests(s.url, 'PATCH', '/api/v1/tasks/:name/status');
      const errors: unknown[] = [];
      const reporter = new StatusReporter(new Client({ server: older.url }), 'rep-m3', (err) => errors.push(err));
      for (const t of tasks) reporter.report(t.metadata.uid, t.metadata.name, { phase: 'Running', pid: 5 });
      await reporter.drained();
      assert.deepEqual(errors, []);
      for (const t of tasks) assert.equal((await http(`${s.api}/tasks/${t.metadata.name}`)).json().status.phase, 'Running');
      assert.equal((await requests(s.url, 'PATCH', '/api/v1/tasks/:name/status')) - patches, 5);
      reporter.close();
    } finally {
      await new Promise((r) => older.server.close(r));
    }
  });
});
