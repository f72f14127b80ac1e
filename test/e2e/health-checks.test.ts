// Health checks with a real agent and real processes: readiness decides the Ready condition and
// readyReplicas, a liveness failure restarts the task, a rollout whose new tasks never get ready
// stops at its progress deadline with the old tasks serving, and undo brings them back. Each step
// leaves Events that `drover get events --for` shows.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Event, Service, Task } from '../../src/client/client.js';
import { isTaskReady } from '../../src/model/index.js';
import { cli, startDrover, streamUntil } from '../cli/drover.js';
import { tempDir, until } from '../helpers.js';
import { startCluster, type Cluster } from './cluster.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const readyOf = (t: Task) => t.status?.conditions?.find((c) => c.type === 'Ready');

describe('health checks, readiness and rollouts', () => {
  let c: Cluster;
  let drover: ReturnType<typeof cli>;
  const dir = tempDir('drover-checks-');
  before(async () => {
    // Secure: the agent records its events as its node identity, through the node authorizer.
    c = await startCluster(1, { secure: true });
    drover = cli(c.server.url, c.server.adminToken);
  });
  after(async () => {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tasksOf = async (service: string) => (await c.client.tasks.list({ fieldSelector: `metadata.owner=${service}` })).items;
  const eventsFor = async (kind: string, name: string) =>
    (await c.client.events.list({ fieldSelector: `spec.involvedObject.kind=${kind},spec.involvedObject.name=${name}` })).items as Event[];

  it('an http readiness check: Ready only while the check passes, and readyReplicas follows', async () => {
    const root = join(dir, 'www');
    mkdirSync(root, { recursive: true });
    const port = await freePort();
    await c.client.services.create({
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        template: {
          command: ['python3', '-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', root],
          env: c.env(),
          checks: [{ name: 'healthz', type: 'http', port, path: '/healthz', intervalSeconds: 0.2, timeoutSeconds: 1, failureThreshold: 1 }],
        },
      },
    });
    // Running and answering, but /healthz is not there: not ready, and saying why (the server
    // may refuse connections at first; once it answers, the failure says 404 within seconds).
    const [task] = await until(async () => {
      const ts = await tasksOf('web');
      return ts.length === 1 && ts[0]!.status?.phase === 'Running' && readyOf(ts[0]!)?.message?.includes('HTTP 404') && ts;
    }, 'the task to run and fail its check with a 404', 20_000);
    const name = task!.metadata.name;
    assert.equal(readyOf(task!)!.status, 'False');
    assert.equal(readyOf(task!)!.message, 'check healthz failed: HTTP 404 (expected 200-399)');
    assert.equal(isTaskReady(task!), false);
    assert.equal((await c.client.services.get('web')).status?.readyReplicas ?? 0, 0);
    const events = await until(async () => (await eventsFor('Task', name)).filter((e) => e.spec.reason === 'Unhealthy'), 'the Unhealthy event');
    assert.equal(events[0]!.spec.type, 'Warning');
    // The first attempts may have found the server not listening yet.
    assert.match(events[0]!.spec.message, /^readiness check healthz failed: (HTTP 404 \(expected 200-399\)|connection refused)$/);
    assert.equal(events[0]!.spec.source.machine, c.agents[0]!.id);

    // The file appears: Ready, and the service counts it.
    writeFileSync(join(root, 'healthz'), 'ok\n');
    await until(async () => readyOf(await c.client.tasks.get(name))?.status === 'True', 'Ready=True');
    await until(async () => (await c.client.services.get('web')).status?.readyReplicas === 1, 'readyReplicas 1');
    const passing = await c.client.tasks.get(name);
    assert.deepEqual(
      passing.status?.checks?.map((r) => [r.name, r.role, r.status, r.output]),
      [['healthz', 'readiness', 'passing', 'HTTP 200']],
    );

    // Gone again, twice: not ready each time and readyReplicas drops; the same event is counted, not duplicated.
    const notFound = 'readiness check healthz failed: HTTP 404 (expected 200-399)';
    const count404 = async () => (await eventsFor('Task', name)).filter((e) => e.spec.message === notFound);
    const before404 = (await count404())[0]?.spec.count ?? 0;
    for (let i = 0; i < 2; i++) {
      rmSync(join(root, 'healthz'));
      await until(async () => readyOf(await c.client.tasks.get(name))?.status === 'False', 'Ready=False');
      await until(async () => (await c.client.services.get('web')).status?.readyReplicas === 0, 'readyReplicas 0');
      writeFileSync(join(root, 'healthz'), 'ok\n');
      await until(async () => (await c.client.services.get('web')).status?.readyReplicas === 1, 'readyReplicas 1 again');
    }
    const counted = await until(async () => {
      const es = await count404();
      return es.length === 1 && es[0]!.spec.count === before404 + 2 && es[0]!;
    }, 'one 404 event, counted twice more');
    assert.equal((await c.client.tasks.get(name)).status?.restarts ?? 0, 0, 'a readiness failure never restarts');

    // The CLI: events about the task, and describe with its checks and events.
    const table = await drover.ok(['get', 'events', '--for', `task/${name}`]);
    assert.match(table.split('\n')[0]!, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\s+COUNT$/);
    assert.match(table, new RegExp(`Warning\\s+Unhealthy\\s+task/${name}\\s+readiness check healthz failed: HTTP 404 \\(expected 200-399\\)\\s+${counted.spec.count}\n`));
    const described = await drover.ok(['describe', `task/${name}`]);
    assert.match(described, /Checks:\n\s+NAME\s+ROLE\s+TYPE\s+STATUS\s+CHECKED\s+OUTPUT\n\s+healthz\s+readiness\s+http\s+passing\s+\S+ ago\s+HTTP 200/);
    assert.match(described, new RegExp(`Events:\n[^\n]+\n(.*\n)*\\s+\\S+\\s+Warning\\s+Unhealthy\\s+${counted.spec.count}\\s+agent\\s+readiness check healthz failed: HTTP 404`));
    await c.client.services.delete('web');
  });

  it('a liveness check that fails restarts the task: counted, the reason and output recorded, events Killing and Restarted', async () => {
    const markers = join(dir, 'alive');
    mkdirSync(markers, { recursive: true });
    writeFileSync(join(markers, 'ok'), '');
    await c.client.tasks.create({
      metadata: { name: 'lively' },
      spec: {
        template: {
          command: ['sleep', '1000'],
          restartPolicy: 'always',
          stopGraceSeconds: 2,
          // The check runs in the task's environment: MARKERS comes from the template.
          env: c.env({ MARKERS: markers }),
          checks: [{ name: 'alive', type: 'exec', role: 'liveness', command: ['sh', '-c', 'test -f "$MARKERS/ok" || { echo "no $MARKERS/ok"; exit 1; }'], intervalSeconds: 0.2, failureThreshold: 2 }],
        },
      },
    });
    const first = await until(async () => {
      const t = await c.client.tasks.get('lively');
      return t.status?.phase === 'Running' && t.status.checks?.[0]?.status === 'passing' && t;
    }, 'the task to run with its liveness check passing');
    assert.equal(readyOf(first)?.status, 'True', 'no readiness check: Ready while running');
    // Followed as it happens: the watch prints the events about this task only.
    const watching = startDrover(['--server', c.server.url, 'get', 'events', '-w', '--for', 'task/lively'], { env: { DROVER_TOKEN: c.server.adminToken } });
    const followed = streamUntil(watching, (out) => /Warning\s+Killing\s+task\/lively\s+stopping the task: liveness check alive failed/.test(out), 30_000);
    rmSync(join(markers, 'ok'));
    const restarted = await until(async () => {
      const t = await c.client.tasks.get('lively');
      return (t.status?.restarts ?? 0) >= 1 && t.status?.lastTermination && t;
    }, 'the liveness restart');
    writeFileSync(join(markers, 'ok'), '');
    assert.doesNotMatch(await followed, /task\/web/, 'only the events about task/lively');
    assert.equal(restarted.status!.lastTermination!.reason, 'LivenessCheckFailed');
    assert.equal(restarted.status!.lastTermination!.message, `exit code 1: no ${markers}/ok`);
    assert.equal(restarted.status!.lastTermination!.signal, 'SIGTERM', 'stopped with SIGTERM, within its grace period');
    const again = await until(async () => {
      const t = await c.client.tasks.get('lively');
      return t.status?.phase === 'Running' && t.status.pid !== first.status!.pid && readyOf(t)?.status === 'True' && t;
    }, 'a new run');
    assert.ok(again.status!.restarts! >= 1);
    const events = await until(async () => {
      const es = await eventsFor('Task', 'lively');
      return es.some((e) => e.spec.reason === 'Killing') && es.some((e) => e.spec.reason === 'Restarted') && es;
    }, 'the Killing and Restarted events');
    assert.match(events.find((e) => e.spec.reason === 'Killing')!.spec.message, /liveness check alive failed 2 times in a row: exit code 1: no .*\/ok/);
    assert.match(events.find((e) => e.spec.reason === 'Restarted')!.spec.message, /liveness check alive failed; the run was killed by SIGTERM/);
    await c.client.tasks.delete('lively');
  });

  it('an agent restart carries the checks of the runs it adopts on: Ready stays True, its transition time (minReadySeconds) unchanged', async () => {
    const attempts = join(dir, 'steady-attempts');
    await c.client.tasks.create({
      metadata: { name: 'steady' },
      spec: { template: { command: ['sleep', '1000'], env: c.env({ ATTEMPTS: attempts }), checks: [{ name: 'ok', type: 'exec', command: ['sh', '-c', 'echo x >> "$ATTEMPTS"'], intervalSeconds: 0.2 }] } },
    });
    const before = await until(async () => {
      const t = await c.client.tasks.get('steady');
      return readyOf(t)?.status === 'True' && t;
    }, 'steady to be Ready');
    const agent = c.agents[0]!;
    await agent.kill9();
    await c.startAgent(0, { id: agent.id, dataDir: agent.dataDir });
    const lines = () => (existsSync(attempts) ? readFileSync(attempts, 'utf8').split('\n').length : 0);
    const from = lines();
    await until(() => lines() >= from + 5, 'the new agent to run the check a few times');
    const after = await c.client.tasks.get('steady');
    assert.equal(after.status?.pid, before.status?.pid, 'the same run, adopted');
    assert.deepEqual(readyOf(after), readyOf(before), 'Ready never left True: same condition, same transition time');
    await c.client.tasks.delete('steady');
  });

  it('a rollout to a template whose readiness check never passes stops at its deadline with the old tasks serving; undo brings the old template back', async () => {
    const manifest = (check: string[]) =>
      JSON.stringify({
        apiVersion: 'drover/v1',
        kind: 'Service',
        metadata: { name: 'api' },
        spec: {
          replicas: 2,
          update: { maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 3 },
          template: { command: ['sleep', '1000'], env: c.env(), checks: [{ name: 'ready', type: 'exec', command: check, intervalSeconds: 0.2 }] },
        },
      });
    const file = join(dir, 'api.json');
    writeFileSync(file, manifest(['true']));
    await drover.ok(['apply', '-f', file]);
    await drover.ok(['rollout', 'status', 'service/api', '--timeout', '30s']);
    const old = (await tasksOf('api')).filter(isTaskReady).map((t) => t.metadata.name).sort();
    assert.equal(old.length, 2);

    writeFileSync(file, manifest(['sh', '-c', 'echo warming up; exit 1']));
    await drover.ok(['apply', '-f', file]);
    const stuck = await until(async () => {
      const s = await c.client.services.get('api');
      return s.status?.conditions?.find((x) => x.type === 'Progressing' && x.reason === 'ProgressDeadlineExceeded') && s;
    }, 'ProgressDeadlineExceeded', 20_000);
    const cond = stuck.status!.conditions!.find((x) => x.type === 'Progressing')!;
    assert.equal(cond.status, 'False');
    assert.match(cond.message!, /^the rollout did not finish within 3s \(progressDeadlineSeconds\): task api-\S+ is not ready: check ready failed: exit code 1: warming up$/);
    // The old tasks still run and are ready: none was taken away for a new one that never got ready.
    const now = await tasksOf('api');
    assert.deepEqual(now.filter(isTaskReady).map((t) => t.metadata.name).sort(), old);
    assert.equal(stuck.status!.readyReplicas, 2);
    assert.equal(now.filter((t) => !old.includes(t.metadata.name) && t.status?.phase === 'Running').length, 1, 'one surge task, no more');

    const status = await drover.run(['rollout', 'status', 'service/api', '--timeout', '30s']);
    assert.notEqual(status.code, 0);
    assert.match(status.stderr, /cannot roll out: the rollout did not finish within 3s .*check ready failed: exit code 1: warming up/);
    const serviceEvents = await until(async () => (await eventsFor('Service', 'api')).find((e) => e.spec.reason === 'ProgressDeadlineExceeded'), 'the service event');
    assert.equal(serviceEvents.spec.type, 'Warning');

    await drover.ok(['rollout', 'undo', 'service/api']);
    await drover.ok(['rollout', 'status', 'service/api', '--timeout', '30s']);
    const back = await c.client.services.get('api');
    assert.deepEqual(back.spec.template.checks?.[0]?.command, ['true']);
    assert.equal(back.status?.conditions?.find((x) => x.type === 'Progressing')?.reason, 'running');
    await until(async () => {
      const ts = await tasksOf('api');
      return ts.length === 2 && ts.every(isTaskReady) && ts;
    }, 'two ready tasks of the old template and nothing else');
    assert.deepEqual((await tasksOf('api')).map((t) => t.metadata.name).sort(), old, 'the old tasks served throughout and stay');
    await c.client.services.delete('api');
  });
});

export type { Service };
