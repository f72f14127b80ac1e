// End to end: a real server, real agents as child processes, real processes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Event, Service } from '../../src/client/client.js';
import { isAlive, readStat } from '../../src/agent/proc.js';
import { until } from '../helpers.js';
import { isReady, processesWith, startCluster, type Cluster } from './cluster.js';

const pidAlive = (pid: number) => {
  const st = readStat(pid);
  return st !== undefined && isAlive({ pid, startTime: st.startTime });
};

describe('agents run services across machines', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster(3, { secure: true });
  });
  after(async () => {
    await c.close();
    assert.deepEqual(processesWith(c.marker), [], 'no task process may outlive the suite');
  });

  const tasksOf = async (service: string) =>
    (await c.client.tasks.list({ fieldSelector: `metadata.owner=${service}` })).items.filter((t) => !['Lost', 'Failed', 'Succeeded'].includes(t.status?.phase ?? ''));

  it('spreads a 3-replica service over 3 agents, and its processes exist', async () => {
    await c.client.services.create({ metadata: { name: 'spread' }, spec: { replicas: 3, template: { command: ['sleep', '300'], env: c.env() } } });
    const running = await until(async () => {
      const ts = await tasksOf('spread');
      return ts.length === 3 && ts.every((t) => t.status?.phase === 'Running' && t.status.pid) && ts;
    }, '3 running tasks');
    assert.equal(new Set(running.map((t) => t.spec.machine)).size, 3, 'one task per machine');
    for (const t of running) assert.ok(pidAlive(t.status!.pid!), `pid ${t.status!.pid} of ${t.metadata.name} is alive`);
    const svc = await until(async () => {
      const s = await c.client.services.get('spread');
      return s.status?.readyReplicas === 3 && s;
    }, 'service status to show 3 ready');
    assert.equal(svc.status?.state, 'running');
  });

  it('restarts a killed process per its restart policy', async () => {
    const [t] = await tasksOf('spread');
    const oldPid = t!.status!.pid!;
    process.kill(oldPid, 'SIGKILL');
    const restarted = await until(async () => {
      const cur = await c.client.tasks.get(t!.metadata.name);
      return cur.status?.phase === 'Running' && cur.status.pid && cur.status.pid !== oldPid && cur;
    }, 'the task to run again with a new pid');
    assert.equal(restarted.status?.restarts, 1);
    assert.equal(restarted.status?.signal === null || restarted.status?.signal === undefined, true);
    assert.ok(pidAlive(restarted.status!.pid!));
    assert.ok(!pidAlive(oldPid));
  });

  it('backs off a failing process and says so', async () => {
    await c.client.services.create({ metadata: { name: 'crashy' }, spec: { replicas: 1, template: { command: ['sh', '-c', 'exit 7'], env: c.env() } } });
    const t = await until(async () => {
      const [task] = await tasksOf('crashy');
      return task && (task.status?.restarts ?? 0) >= 2 && task;
    }, 'a few restarts');
    assert.equal(t.status?.exitCode, 7);
    await until(async () => {
      const [task] = await tasksOf('crashy');
      return task?.status?.reason === 'BackOff' && /exited with code 7; restarting in/.test(task.status.message ?? '');
    }, 'a BackOff reason with the exit code');
    await c.client.services.delete('crashy');
  });

  it('keeps a one-off task\'s exit code and output readable through the server', async () => {
    const t = await c.client.tasks.create({ spec: { template: { command: ['sh', '-c', 'echo out-line; echo err-line >&2; exit 3'], env: c.env() } } });
    assert.match(t.metadata.name, /^task-/);
    const done = await until(async () => {
      const cur = await c.client.tasks.get(t.metadata.name);
      return cur.status?.phase === 'Failed' && cur;
    }, 'the one-off task to finish');
    assert.equal(done.status?.exitCode, 3);
    const log = await (await fetch(`${c.server.url}/api/v1/tasks/${t.metadata.name}/log`, { headers: c.auth })).text();
    assert.equal(log, 'out-line\nerr-line\n');
    const stderr = await (await fetch(`${c.server.url}/api/v1/tasks/${t.metadata.name}/log?stream=stderr`, { headers: c.auth })).text();
    assert.equal(stderr, 'err-line\n');
    await c.client.tasks.delete(t.metadata.name);
  });

  it('explains why a task cannot be placed', async () => {
    await c.client.services.create({
      metadata: { name: 'nowhere' },
      spec: { replicas: 1, template: { command: ['true'], env: c.env() }, constraints: { machineSelector: { region: 'mars' } } },
    });
    const t = await until(async () => {
      const [task] = await tasksOf('nowhere');
      return task?.status?.conditions?.find((x) => x.type === 'Scheduled' && x.status === 'False') && task;
    }, 'an Unschedulable condition');
    assert.equal(t.status?.phase, 'Pending');
    assert.match(t.status!.conditions!.find((x) => x.type === 'Scheduled')!.message!, /0\/3 machines fit: 3 lack label region=mars/);
    await until(async () => (await c.client.services.get('nowhere')).status?.conditions?.some((x) => x.type === 'Unschedulable'), 'the service to show it');
    await c.client.services.delete('nowhere');
  });

  it('rolls a template change out within maxUnavailable', async () => {
    await c.client.services.create({
      metadata: { name: 'roll' },
      spec: { replicas: 3, update: { maxUnavailable: 1, maxSurge: 0 }, template: { command: ['sleep', '301'], env: c.env() } },
    });
    await until(async () => (await c.client.services.get('roll')).status?.readyReplicas === 3, '3 ready');
    let minReady = Infinity;
    const watch = (async () => {
      for await (const ev of c.client.services.watch({ name: 'roll' })) {
        const s = ev.object as Service;
        if (ev.type === 'BOOKMARK' || !s.status) continue;
        if (s.metadata.generation === 2 && s.status.observedGeneration === 2) minReady = Math.min(minReady, s.status.readyReplicas ?? 0);
        if (s.status.observedGeneration === 2 && s.status.updatedReplicas === 3 && s.status.readyReplicas === 3 && s.status.replicas === 3) return;
      }
    })();
    await c.client.services.patch('roll', { spec: { template: { command: ['sleep', '302'] } } });
    await Promise.race([watch, until(() => false, 'the rollout', 20_000)]);
    assert.ok(minReady >= 2, `ready tasks never fell below 3 - maxUnavailable (saw ${minReady})`);
    const ts = await tasksOf('roll');
    assert.deepEqual(
      ts.map((t) => t.spec.template.command),
      [['sleep', '302'], ['sleep', '302'], ['sleep', '302']],
    );
    await until(() => processesWith(c.marker).every((pid) => !readFileSafe(`/proc/${pid}/cmdline`).includes('301')), 'old processes to be gone');
    // The rollout's steps are events on the service: begun, then each task more on the new template.
    let events: Event[] = [];
    await until(async () => {
      events = (await c.client.events.list({ fieldSelector: 'spec.involvedObject.kind=Service,spec.involvedObject.name=roll' })).items;
      return ['1/3', '2/3'].every((n) => events.some((e) => e.spec.reason === 'RolloutStep' && e.spec.message === `generation 2: ${n} tasks run the new template`));
    }, 'a RolloutStep event per task').catch((err: Error) => assert.fail(`${err.message}: ${events.map((e) => `${e.spec.reason}: ${e.spec.message}`).join('; ')}`));
    assert.ok(events.some((e) => e.spec.reason === 'RolloutStarted'));
  });

  it('leaves no process behind when a service is stopped', async () => {
    const pids = (await tasksOf('roll')).map((t) => t.status!.pid!);
    await c.client.services.patch('roll', { spec: { desiredState: 'inactive' } });
    await until(async () => (await tasksOf('roll')).length === 0, 'tasks of an inactive service to go');
    await until(() => pids.every((p) => !pidAlive(p)), 'their processes to exit');
    await c.client.services.delete('roll');
  });

  it('replaces the tasks of a machine whose agent dies, and runs nothing twice when it returns', async () => {
    const before = await tasksOf('spread');
    const victim = c.agents.find((a) => before.some((t) => t.spec.machine === a.id))!;
    const victimTask = before.find((t) => t.spec.machine === victim.id)!;
    await victim.kill9();
    await until(async () => !isReady(await c.client.machines.get(victim.id)), 'the machine to be NotReady', 15_000);
    const replaced = await until(async () => {
      const ts = await tasksOf('spread');
      return ts.length === 3 && ts.every((t) => t.status?.phase === 'Running' && t.spec.machine !== victim.id) && ts;
    }, 'its task to be replaced on the other machines', 15_000);
    assert.ok(!replaced.some((t) => t.metadata.name === victimTask.metadata.name));
    // The old process survived the agent (its shim keeps it) until the agent returns and stops it.
    const restarted = await c.startAgent(c.agents.indexOf(victim), { id: victim.id, dataDir: victim.dataDir });
    assert.equal(restarted.id, victim.id);
    await until(() => !pidAlive(victimTask.status!.pid!), 'the replaced task to be stopped on the returning machine', 15_000);
    const live = (await tasksOf('spread')).map((t) => t.status!.pid!);
    assert.equal(live.length, 3);
    for (const p of live) assert.ok(pidAlive(p));
    const sleeping = processesWith(c.marker).filter((pid) => readFileSafe(`/proc/${pid}/cmdline`).startsWith('sleep\u0000300'));
    assert.equal(sleeping.length, 3, 'exactly three sleep 300 processes');
  });

  it('re-adopts running tasks after an agent restart and loses no exit status', async () => {
    const agent = c.agents[0]!;
    const t = await c.client.tasks.create({ spec: { machine: agent.id, template: { command: ['sh', '-c', 'sleep 1; exit 5'], env: c.env() } } });
    await until(async () => (await c.client.tasks.get(t.metadata.name)).status?.phase === 'Running', 'the task to run');
    await agent.kill9();
    // The task finishes while its agent is down; the restarted agent must still report it.
    await c.startAgent(0, { id: agent.id, dataDir: agent.dataDir });
    const done = await until(async () => {
      const cur = await c.client.tasks.get(t.metadata.name);
      return cur.status?.phase === 'Failed' && cur;
    }, 'the exit status to be reported', 15_000);
    assert.equal(done.status?.exitCode, 5);
    assert.equal(done.status?.restarts ?? 0, 0, 'it was not run twice');
    await c.client.tasks.delete(t.metadata.name);
  });

  it('runs a command beside a running task through the server', async () => {
    const [t] = await tasksOf('spread');
    const res = await fetch(`${c.server.url}/api/v1/tasks/${t!.metadata.name}/exec`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...c.auth },
      body: JSON.stringify({ command: ['sh', '-c', 'echo "$DROVER_E2E"; exit 4'] }),
    });
    assert.equal(res.status, 200);
    const frames = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(frames.at(-1), { exit: { code: 4, signal: null } });
    assert.equal(frames.filter((f) => f.stream === 'stdout').map((f) => f.data).join(''), `${c.marker}\n`);
  });

  it('lets a new service adopt a running one-off task instead of starting another', async () => {
    const template = { command: ['sleep', '303'], env: c.env() };
    const t = await c.client.tasks.create({ metadata: { name: 'adoptee' }, spec: { template } });
    const running = await until(async () => {
      const cur = await c.client.tasks.get('adoptee');
      return cur.status?.phase === 'Running' && cur;
    }, 'the one-off to run');
    await c.client.services.create({ metadata: { name: 'adopter' }, spec: { replicas: 1, adopt: ['adoptee'], template: { ...template, restartPolicy: 'never' } } });
    const svc = await until(async () => {
      const s = await c.client.services.get('adopter');
      return s.status?.readyReplicas === 1 && s.status.replicas === 1 && s;
    }, 'the service to count the adopted task');
    assert.equal(svc.status?.updatedReplicas, 1);
    const adopted = await c.client.tasks.get('adoptee');
    assert.deepEqual(adopted.metadata.ownerReferences?.[0]?.name, 'adopter');
    assert.equal(adopted.status?.pid, running.status?.pid, 'the same process, not a restart');
    assert.equal((await tasksOf('adopter')).length, 1);
    await c.client.services.delete('adopter');
    await until(async () => !(await c.client.tasks.find(t.metadata.name)), 'the adopted task to go with its service');
  });

  it('keeps labels set through the API when a machine leaves and rejoins', async () => {
    const agent = c.agents[1]!;
    await c.client.machines.patch(agent.id, { metadata: { labels: { role: 'db' } } });
    await agent.kill9();
    await c.startAgent(1, { id: agent.id, dataDir: agent.dataDir });
    const m = await c.client.machines.get(agent.id);
    assert.equal(m.metadata.labels?.role, 'db');
    assert.equal(m.metadata.labels?.agent, '1');
  });
});

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
