// The CLI with real agents: exec, Ctrl-C in run --attach (with and without --rm), delete --wait
// for a service's tasks, unit start failing fast with the task's message, and re-running a
// finished task with apply --force.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir, until } from '../helpers.js';
import { processesWith, startCluster, type Cluster } from '../e2e/cluster.js';
import { cli, collect, startDrover } from './drover.js';

describe('drover CLI with processes', () => {
  let c: Cluster;
  let d: ReturnType<typeof cli>;
  before(async () => {
    c = await startCluster(1);
    d = cli(c.server.url);
  });
  after(async () => {
    await c.close();
    assert.deepEqual(processesWith(c.marker), [], 'no task process may outlive the suite');
  });
  const envFlags = () => Object.entries(c.env()).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const running = (name: string) => until(async () => (await c.client.tasks.get(name)).status?.phase === 'Running', `${name} to run`);

  it('exec runs a command beside a task, streams apart, exits with its code; -i sends stdin', async () => {
    await d.ok(['run', 'box', ...envFlags(), '-w', '/tmp', '--', 'sleep', '300']);
    await running('box');
    const r = await d.run(['exec', 'box', '--', 'sh', '-c', 'echo out $DROVER_TASK $(pwd); echo err >&2; exit 4']);
    assert.equal(r.code, 4, r.stderr);
    assert.equal(r.stdout, 'out box /tmp\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(await d.ok(['exec', '-i', 'task/box', '--', 'tr', 'a-z', 'A-Z'], { input: 'hello\nworld\n' }), 'HELLO\nWORLD\n');
    const killed = await d.run(['exec', 'box', '--', 'sh', '-c', 'kill -9 $$']);
    assert.equal(killed.code, 137);
    const missing = await d.run(['exec', 'box', '--', 'no-such-program']);
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /cannot run no-such-program/);
    await c.client.services.create({ metadata: { name: 'pool' }, spec: { replicas: 2, template: { command: ['sleep', '300'], env: c.env() } } });
    await until(async () => (await c.client.services.get('pool')).status?.readyReplicas === 2, 'pool to run');
    const picked = (await d.ok(['exec', 'service/pool', '--', 'printenv', 'DROVER_TASK'])).trim();
    assert.match(picked, /^pool-\w+$/);
    await d.ok(['run', 'done', ...envFlags(), '--attach', '--', 'true']);
    const finished = await d.run(['exec', 'done', '--', 'true']);
    assert.equal(finished.code, 1);
    assert.match(finished.stderr, /^error: task "done" is not running \(phase Succeeded\)/);
  });

  it('Ctrl-C in run --attach leaves the task running and says how to stop it', async () => {
    const out = collect(startDrover(['--server', c.server.url, 'run', 'detached', '--attach', ...envFlags(), '--', 'sh', '-c', 'echo started; exec sleep 300']));
    await out.until((stdout) => stdout === 'started\n', 'the task\'s output');
    out.child.kill('SIGINT');
    assert.equal(await out.exited, 130);
    assert.equal(out.stderr(), '\ndrover: detached; task/detached keeps running (stop it with: drover delete task/detached)\n');
    assert.equal((await c.client.tasks.get('detached')).status?.phase, 'Running');
    await d.ok(['delete', 'task/detached', '--wait', '--timeout', '20s']);
  });

  it('Ctrl-C in run --attach --rm stops and deletes the task, then exits', async () => {
    const out = collect(startDrover(['--server', c.server.url, 'run', 'removed', '--attach', '--rm', ...envFlags(), '--', 'sh', '-c', 'echo started; exec sleep 300']));
    await out.until((stdout) => stdout === 'started\n', 'the task\'s output');
    const uid = (await c.client.tasks.get('removed')).metadata.uid;
    out.child.kill('SIGINT');
    assert.equal(await out.exited, 130);
    assert.match(out.stderr(), /drover: stopping and deleting task\/removed .*\ndrover: task\/removed stopped and deleted\n$/);
    const now = await c.client.tasks.find('removed');
    assert.ok(!now || now.metadata.uid !== uid, 'gone when the command returned');
  });

  it('delete --wait returns only when the deleted service\'s tasks are gone too', async () => {
    // Tasks that take their stop grace to go (they ignore SIGTERM): the service is gone long before them.
    const template = { command: ['sh', '-c', 'trap "" TERM; sleep 300'], stopGraceSeconds: 3, env: c.env() };
    await c.client.services.create({ metadata: { name: 'crowd' }, spec: { replicas: 3, template } });
    await until(async () => (await c.client.services.get('crowd')).status?.readyReplicas === 3, 'crowd to run');
    const uid = (await c.client.services.get('crowd')).metadata.uid;
    assert.equal(await d.ok(['delete', 'service/crowd', '--wait', '--timeout', '30s']), 'service/crowd deleted\n');
    const left = (await c.client.tasks.list()).items.filter((t) => t.metadata.ownerReferences?.some((r) => r.uid === uid));
    assert.deepEqual(left.map((t) => `${t.metadata.name} ${t.status?.phase}`), [], 'no task of it left when delete --wait returned');
  });

  it('unit start fails at once with the failing task\'s message, one line per change of state', async () => {
    const dir = tempDir('drover-cli-units-');
    // Its start fails before the main process runs: the task never counts as launched.
    writeFileSync(join(dir, 'broken.service'), `[Service]\nEnvironment=DROVER_E2E=${c.marker}\nExecStartPre=/bin/sh -c "exit 3"\nExecStart=/bin/sleep 300\n`);
    // A timeout far beyond the test's own: only failing at once passes.
    const r = await d.run(['unit', 'start', '--timeout', '10m', join(dir, 'broken.service')], { timeoutMs: 60_000 });
    await d.ok(['unit', 'destroy', 'broken.service']);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    assert.match(lines.at(-1)!, /^error: unit broken\.service failed: task broken\.service-\w+ on [0-9a-f]{8}\S*: .*exit.* 3.* \(StartFailed\)$/);
    const progress = lines.slice(0, -1);
    assert.deepEqual(progress, [...new Set(progress)], 'no line twice');
    for (const l of progress) assert.match(l, /^unit broken\.service → running: /);
  });

  it('apply --force runs a finished task again with its new spec', async () => {
    const task = (word: string) => JSON.stringify({ kind: 'Task', metadata: { name: 'once' }, spec: { template: { command: ['echo', word], env: c.env() } } });
    await d.ok(['apply', '-f', '-'], { input: task('one') });
    await until(async () => (await c.client.tasks.get('once')).status?.phase === 'Succeeded', 'once to finish');
    const refused = await d.run(['apply', '-f', '-'], { input: task('two') });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /task\/once is finished \(Succeeded\) and will not run again/);
    assert.equal(await d.ok(['apply', '--force', '-f', '-'], { input: task('two') }), 'task/once created\n');
    await until(async () => (await c.client.tasks.get('once')).status?.phase === 'Succeeded', 'once to finish again');
    assert.equal(await d.ok(['logs', 'once']), 'two\n');
  });
});
