// The CLI against a real cluster: run --attach exit codes, ps, kill, logs (-f), rollout status,
// wait, drain, and unit files run by the agents' unit driver.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir, until } from '../helpers.js';
import { processesWith, startCluster, type Cluster } from '../e2e/cluster.js';
import { cli, startDrover, streamUntil } from './drover.js';

describe('drover CLI on a cluster', () => {
  let c: Cluster;
  let d: ReturnType<typeof cli>;
  let env: Record<string, string>;
  before(async () => {
    c = await startCluster(2);
    d = cli(c.server.url);
    env = c.env();
  });
  after(async () => {
    await c.close();
    assert.deepEqual(processesWith(c.marker), [], 'no task process may outlive the suite');
  });
  const envFlags = () => Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);

  it('run --attach streams stdout and stderr apart and exits with the task\'s code', async () => {
    const r = await d.run(['run', 'attach-3', '--attach', ...envFlags(), '--', 'sh', '-c', 'echo out-line; echo err-line >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'out-line\n');
    assert.equal(r.stderr, 'err-line\n');
    const ok = await d.run(['run', '--attach', '--rm', ...envFlags(), '--', 'echo', 'hi there']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'hi there\n');
    assert.equal((await c.client.tasks.list()).items.filter((t) => t.spec.template.command?.[0] === 'echo').length, 0, '--rm deleted it');
    const killed = await d.run(['run', '--attach', ...envFlags(), '--', 'sh', '-c', 'kill -9 $$']);
    assert.equal(killed.code, 137, 'a signal maps to 128 + its number');
  });

  it('run without --attach creates a one-off task; ps lists running first; kill signals it', async () => {
    assert.equal(await d.ok(['run', 'sleeper', ...envFlags(), '--', 'sleep', '300']), 'task/sleeper created\n');
    await until(async () => (await c.client.tasks.get('sleeper')).status?.phase === 'Running', 'sleeper to run');
    const ps = (await d.ok(['ps'])).trimEnd().split('\n');
    assert.match(ps[0]!, /^NAME\s+SERVICE\s+MACHINE\s+PHASE\s+RESTARTS\s+AGE$/);
    assert.match(ps[1]!, /^sleeper\s+<none>\s+[0-9a-f]{8}\s+Running\s+0\s/);
    assert.ok(ps.some((l) => /^attach-3\s.*Failed/.test(l)), 'finished tasks follow');
    assert.match(await d.ok(['kill', 'sleeper', '--signal', 'KILL']), /^task\/sleeper sent SIGKILL \(pid \d+\)$/m);
    const done = await until(async () => {
      const t = await c.client.tasks.get('sleeper');
      return t.status?.phase === 'Failed' && t;
    }, 'sleeper to die');
    assert.equal(done.status?.signal, 'SIGKILL');
    const again = await d.run(['kill', 'sleeper']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: .*no running process/);
    assert.match(await d.ok(['ps', '-o', 'wide']), /^sleeper\s.*\s-\s+SIGKILL\s+sleep 300$/m);
  });

  it('logs prints a task\'s output; a service\'s logs carry per-task prefixes; -f follows new output', async () => {
    assert.equal(await d.ok(['logs', 'attach-3']), 'out-line\nerr-line\n');
    assert.equal(await d.ok(['logs', 'task/attach-3', '--tail', '1']), 'err-line\n');
    assert.equal(await d.ok(['logs', 'attach-3', '--stream', 'stdout']), 'out-line\n');
    await c.client.services.create({
      metadata: { name: 'ticker' },
      spec: { replicas: 2, template: { command: ['sh', '-c', 'echo start $DROVER_TASK; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done'], env } },
    });
    await until(async () => (await c.client.services.get('ticker')).status?.readyReplicas === 2, 'ticker to run');
    const tasks = (await c.client.tasks.list({ fieldSelector: 'metadata.owner=ticker' })).items.map((t) => t.metadata.name);
    const all = await until(async () => {
      const out = await d.ok(['logs', 'service/ticker']);
      return tasks.every((t) => out.includes(`[${t}] start ${t}\n`)) && out;
    }, 'both tasks\' first lines');
    for (const line of all.trimEnd().split('\n')) assert.match(line, /^\[ticker-\w+\] (start|tick)/);
    // -f: lines that did not exist when the command started arrive.
    const child = startDrover(['--server', c.server.url, 'logs', '-f', '--tail', '1', tasks[0]!]);
    const followed = await streamUntil(child, (out) => (out.match(/^tick \d+$/gm) ?? []).length >= 4);
    const ticks = followed.match(/^tick (\d+)$/gm)!.map((l) => Number(l.split(' ')[1]));
    assert.deepEqual(ticks, ticks.slice().sort((a, b) => a - b), 'in order');
    assert.ok(ticks[3]! > ticks[0]!, 'new output followed');
  });

  it('rollout status waits for a template change to reach every task; wait --for=condition=Ready', async () => {
    await d.ok(['apply', '-f', '-'], {
      input: JSON.stringify({ kind: 'Service', metadata: { name: 'ticker' }, spec: { replicas: 2, template: { command: ['sleep', '301'], env } } }),
    });
    const out = await d.ok(['rollout', 'status', 'service/ticker', '--timeout', '20s']);
    assert.match(out, /service\/ticker rolled out: 2\/2 ready\n$/);
    const tasks = (await c.client.tasks.list({ fieldSelector: 'metadata.owner=ticker' })).items.filter((t) => t.status?.phase === 'Running');
    assert.ok(tasks.every((t) => t.spec.template.command?.[1] === '301'));
    assert.equal(await d.ok(['wait', 'service/ticker', `machine/${c.agents[0]!.id}`, '--for=condition=Ready', '--timeout', '10s']), `service/ticker condition met\nmachine/${c.agents[0]!.id} condition met\n`);
    const machines = await d.ok(['get', 'machines']);
    assert.match(machines, new RegExp(`^${c.agents[0]!.id}\\s+Ready\\s+\\S+\\s+\\S+\\s+\\S+\\s+\\d+\\s+agent=0\\s`, 'm'));
  });

  it('rollout status fails with the reason when a task of the new template keeps failing', async () => {
    const dir = tempDir('drover-cli-rollout-');
    // Two replicas on one machine, one port: the second cannot bind and its agent restarts it.
    const bind = `if mkdir ${dir}/port 2>/dev/null; then exec sleep 300; else echo "bind: Address already in use" >&2; exit 1; fi`;
    await d.ok(['apply', '-f', '-'], {
      input: JSON.stringify({ kind: 'Service', metadata: { name: 'porty' }, spec: { replicas: 2, constraints: { machineSelector: { agent: '0' } }, template: { command: ['sh', '-c', bind], restartPolicy: 'always', env } } }),
    });
    const r = await d.run(['rollout', 'status', 'service/porty', '--timeout', '60s']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /^error: service "porty" cannot roll out: task porty-\S+ keeps failing \(\d+ restarts\): exited with code 1/m);
    assert.match(r.stderr, /^ {2}bind: Address already in use$/m, 'with the task\'s own words');
    assert.doesNotMatch(r.stderr, /timed out/);
    const svc = await c.client.services.get('porty');
    assert.ok((svc.status?.readyReplicas ?? 0) < 2, 'the service does not count the restarting task ready either');
    await d.ok(['delete', 'service', 'porty', '--wait', '--timeout', '20s']);
  });

  it('drain cordons a machine and moves its service tasks to the other', async () => {
    const running = await until(async () => {
      const ts = (await c.client.tasks.list({ fieldSelector: 'metadata.owner=ticker' })).items.filter((t) => t.status?.phase === 'Running' && t.spec.machine);
      return ts.length > 0 && ts;
    }, 'a running ticker task');
    const a = running[0]!.spec.machine!;
    const b = c.agents.map((x) => x.id).find((id) => id !== a)!;
    const out = await d.ok(['drain', a.slice(0, 8), '--timeout', '20s']);
    assert.match(out, new RegExp(`^machine/${a} cordoned$`, 'm'));
    assert.match(out, new RegExp(`^evicting task/${running[0]!.metadata.name}$`, 'm'));
    assert.match(out, new RegExp(`^machine/${a} drained$`, 'm'));
    assert.equal((await c.client.machines.get(a)).spec?.unschedulable, true);
    await d.ok(['rollout', 'status', 'ticker', '--timeout', '20s']);
    const live = (await c.client.tasks.list({ fieldSelector: 'metadata.owner=ticker' })).items.filter((t) => t.status?.phase === 'Running');
    assert.ok(live.length === 2 && live.every((t) => t.spec.machine === b), 'replaced on the other machine');
    await d.ok(['uncordon', a]);
    await d.ok(['delete', 'service', 'ticker', '--wait', '--timeout', '20s']);
    assert.equal(await c.client.services.find('ticker'), undefined);
  });

  it('unit start runs a unit file with [X-Fleet] rules on the machine they pick; stop, destroy', async () => {
    const dir = tempDir('drover-cli-units-');
    const [a] = [c.agents[0]!.id];
    writeFileSync(
      join(dir, 'hello.service'),
      `[Unit]\nDescription=Hello\n\n[Service]\nEnvironment=DROVER_E2E=${c.marker}\nExecStart=/bin/sh -c "echo hello from %n; exec sleep 300"\n\n[X-Fleet]\nMachineMetadata=agent=0\n`,
    );
    const out = await d.ok(['unit', 'start', '--timeout', '20s', join(dir, 'hello.service')]);
    assert.match(out, new RegExp(`^Unit hello\\.service launched on ${a.slice(0, 8)}`, 'm'));
    const svc = await c.client.services.get('hello.service');
    assert.deepEqual(svc.spec.constraints, { machineSelector: { agent: '0' } });
    assert.match(await d.ok(['unit', 'list']), new RegExp(`^hello\\.service\\s+${a.slice(0, 8)}\\S*\\s+active\\s+running$`, 'm'));
    await until(async () => (await d.ok(['unit', 'journal', 'hello.service'])) === 'hello from hello.service\n', 'the unit\'s output');
    assert.match(await d.ok(['unit', 'stop', '--timeout', '20s', 'hello.service']), /^Unit hello\.service loaded/m);
    assert.equal((await c.client.services.get('hello.service')).spec.desiredState, 'loaded');
    assert.equal(await d.ok(['unit', 'destroy', 'hello.service']), 'Destroyed hello.service\n');
  });
});
