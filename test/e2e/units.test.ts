// End to end: services whose template carries systemd unit options (fleet units), run by the
// agent's unit driver on a real agent with real processes.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Task } from '../../src/client/client.js';
import { isAlive, readStat } from '../../src/agent/proc.js';
import { unitHash } from '../../src/units/index.js';
import { tempDir, until } from '../helpers.js';
import { processesWith, startCluster, type Cluster } from './cluster.js';

type Option = { section: string; name: string; value: string };

const pidAlive = (pid: number) => {
  const st = readStat(pid);
  return st !== undefined && isAlive({ pid, startTime: st.startTime });
};

describe('the unit driver runs systemd services', () => {
  let c: Cluster;
  let work: string;
  before(async () => {
    // One machine: the dependencies between units (After=, BindsTo=) are per machine. A grace
    // long enough that an agent restarted under load keeps its machine (and its tasks).
    c = await startCluster(1, { secure: true, machineGraceSeconds: 15 });
    work = tempDir('drover-units-');
  });
  after(async () => {
    await c.close();
    rmSync(work, { recursive: true, force: true });
    assert.deepEqual(processesWith(c.marker), [], 'no unit process may outlive the suite');
  });

  const svc = (...lines: Array<[string, string, string]>): Option[] => [
    { section: 'Service', name: 'Environment', value: `DROVER_E2E=${c.marker}` },
    ...lines.map(([section, name, value]) => ({ section, name, value })),
  ];
  const create = (name: string, unit: Option[]) => c.client.services.create({ metadata: { name }, spec: { replicas: 1, template: { unit } } });
  const taskOf = async (service: string): Promise<Task | undefined> =>
    (await c.client.tasks.list({ fieldSelector: `metadata.owner=${service}` })).items.find((t) => !['Lost'].includes(t.status?.phase ?? ''));
  const stateOf = (t: Task | undefined) => (t?.status?.unitState ? `${t.status.unitState.active}/${t.status.unitState.sub}` : undefined);
  const logOf = async (t: Task) => (await fetch(`${c.server.url}/api/v1/tasks/${t.metadata.name}/log`, { headers: c.auth })).text();
  const deleteService = async (name: string) => {
    await c.client.services.delete(name);
    await until(async () => !(await taskOf(name)), `the tasks of ${name} to be gone`, 20_000);
  };

  it('runs ExecStartPre then ExecStart with Environment=, EnvironmentFile= and WorkingDirectory=, reports states and the hash, and runs ExecStop on stop', async () => {
    const dir = join(work, 'web');
    mkdirSync(dir);
    writeFileSync(join(dir, 'env'), 'FROM_FILE="file value"\nGREETING=overridden\n');
    const unit = svc(
      ['Unit', 'Description', 'a web server'],
      ['Service', 'Environment', 'GREETING=hello "SPACED=a b"'],
      ['Service', 'EnvironmentFile', join(dir, 'env')],
      ['Service', 'EnvironmentFile', `-${join(dir, 'missing.env')}`],
      ['Service', 'WorkingDirectory', dir],
      ['Service', 'ExecStartPre', '/bin/sh -c "sleep 1; echo pre-ran > pre.txt"'],
      ['Service', 'ExecStart', `/bin/sh -c 'echo "pre=$(cat pre.txt) greeting=$GREETING spaced=$SPACED file=$FROM_FILE cwd=$(pwd)"; exec sleep 300'`],
      ['Service', 'ExecStop', `/bin/sh -c 'echo "stopped $MAINPID" > ${join(dir, 'stop.txt')}'`],
    );
    await create('web.service', unit);
    await until(async () => stateOf(await taskOf('web.service')) === 'activating/start-pre', 'the unit to report activating/start-pre', 15_000);
    const running = await until(async () => {
      const t = await taskOf('web.service');
      return t?.status?.phase === 'Running' && stateOf(t) === 'active/running' && t.status.pid && t;
    }, 'the unit to be active/running', 15_000);
    assert.equal(running.status?.unitState?.load, 'loaded');
    assert.equal(running.status?.unitState?.hash, unitHash(unit));
    assert.ok(pidAlive(running.status!.pid!));
    const log = await until(async () => (await logOf(running)).includes('pre=') && logOf(running), 'the unit to log what it sees');
    assert.equal(log.trim(), `pre=pre-ran greeting=overridden spaced=a b file=file value cwd=${dir}`);

    await deleteService('web.service');
    assert.equal(readFileSync(join(dir, 'stop.txt'), 'utf8').trim(), `stopped ${running.status!.pid}`);
    assert.ok(!pidAlive(running.status!.pid!), 'the main process is gone');
  });

  it('keeps a Type=oneshot RemainAfterExit=yes unit active/exited without running it again', async () => {
    const out = join(work, 'oneshot.txt');
    await create('setup.service', svc(
      ['Service', 'Type', 'oneshot'],
      ['Service', 'RemainAfterExit', 'yes'],
      ['Service', 'ExecStart', `/bin/sh -c 'echo one >> ${out}'`],
      ['Service', 'ExecStart', `/bin/sh -c 'echo two >> ${out}'`],
    ));
    const t = await until(async () => {
      const cur = await taskOf('setup.service');
      return stateOf(cur) === 'active/exited' && cur;
    }, 'the oneshot unit to be active/exited', 15_000);
    // Long enough for a restart (the service default restartPolicy is always) to have happened.
    await new Promise((r) => setTimeout(r, 1_500));
    const later = await c.client.tasks.get(t.metadata.name);
    assert.equal(stateOf(later), 'active/exited');
    assert.equal(later.status?.restarts ?? 0, 0);
    assert.equal(readFileSync(out, 'utf8'), 'one\ntwo\n');
    await deleteService('setup.service');
  });

  it('restarts a killed Restart=always unit after RestartSec=, and leaves a Restart=no one dead', async () => {
    await create('restarty.service', svc(['Service', 'ExecStart', '/bin/sleep 300'], ['Service', 'Restart', 'always'], ['Service', 'RestartSec', '1']));
    await create('once.service', svc(['Service', 'ExecStart', '/bin/sleep 300']));
    const first = await until(async () => {
      const t = await taskOf('restarty.service');
      return stateOf(t) === 'active/running' && t?.status?.pid && t;
    }, 'restarty to run', 15_000);
    const once = await until(async () => {
      const t = await taskOf('once.service');
      return stateOf(t) === 'active/running' && t?.status?.pid && t;
    }, 'once to run', 15_000);
    const killedAt = Date.now();
    process.kill(first.status!.pid!, 'SIGKILL');
    process.kill(once.status!.pid!, 'SIGKILL');
    await until(async () => stateOf(await taskOf('restarty.service')) === 'activating/auto-restart', 'restarty to wait for its restart');
    const again = await until(async () => {
      const t = await c.client.tasks.get(first.metadata.name);
      return stateOf(t) === 'active/running' && t.status?.pid !== first.status!.pid && t;
    }, 'restarty to run again', 15_000);
    assert.ok(Date.now() - killedAt >= 1_000, 'not before RestartSec=1');
    assert.equal(again.status?.restarts, 1);
    assert.ok(pidAlive(again.status!.pid!));
    const dead = await until(async () => {
      const t = await c.client.tasks.get(once.metadata.name);
      return stateOf(t) === 'failed/failed' && t;
    }, 'once to be failed', 15_000);
    assert.equal(dead.status?.phase, 'Failed');
    assert.equal(dead.status?.signal, 'SIGKILL');
    await deleteService('restarty.service');
    await deleteService('once.service');
  });

  it('stops a BindsTo= sidekick with its main unit, and brings it back when the main unit restarts', async () => {
    await create('foo.service', svc(['Service', 'ExecStart', '/bin/sleep 300'], ['Service', 'Restart', 'always'], ['Service', 'RestartSec', '1']));
    await create('foo-discovery.service', svc(
      ['Unit', 'BindsTo', 'foo.service'],
      ['Unit', 'After', 'foo.service'],
      ['Service', 'ExecStart', '/bin/sh -c "echo announcing; exec sleep 300"'],
    ));
    const main = await until(async () => {
      const t = await taskOf('foo.service');
      return stateOf(t) === 'active/running' && t?.status?.pid && t;
    }, 'foo to run', 15_000);
    const side = await until(async () => {
      const t = await taskOf('foo-discovery.service');
      return stateOf(t) === 'active/running' && t;
    }, 'the sidekick to run', 15_000);

    // The main unit dies and restarts: the sidekick stops, then comes back after it.
    process.kill(main.status!.pid!, 'SIGKILL');
    await until(async () => stateOf(await c.client.tasks.get(side.metadata.name)) === 'inactive/dead', 'the sidekick to stop with foo', 10_000);
    await until(async () => stateOf(await c.client.tasks.get(side.metadata.name)) === 'active/running', 'the sidekick to run again with foo', 15_000);
    // Its output arrives on its own time, after the run is reported: wait for it, then check it all.
    await until(async () => (await logOf(side)).trim().split('\n').length >= 2, 'the second run to announce itself');
    assert.equal((await logOf(side)).trim(), 'announcing\nannouncing');

    // The main unit goes away: the sidekick stops and stays stopped.
    await deleteService('foo.service');
    // Stopped for good: only foo.service becoming active again could unpark the sidekick, and
    // foo has left the machine (deleteService waited for its task to go, which the agent allows
    // only once it has stopped foo). Both stops end when their processes have exited.
    await until(async () => stateOf(await c.client.tasks.get(side.metadata.name)) === 'inactive/dead', 'the sidekick to stop when foo is gone', 10_000);
    const still = await c.client.tasks.get(side.metadata.name);
    assert.equal(stateOf(still), 'inactive/dead');
    const sleepers = processesWith(c.marker).filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\x00300\x00');
    assert.deepEqual(sleepers, [], 'no sleep of the sidekick or foo is left');
    await deleteService('foo-discovery.service');
  });

  it('runs a Type=forking daemon under the shim, with its pid from PIDFile=, and stops it', async () => {
    const pidFile = join(work, 'forky.pid');
    await create('forky.service', svc(
      ['Service', 'Type', 'forking'],
      ['Service', 'PIDFile', pidFile],
      ['Service', 'ExecStart', `/bin/sh -c 'sleep 300 & echo $! > ${pidFile}'`],
    ));
    const t = await until(async () => {
      const cur = await taskOf('forky.service');
      return stateOf(cur) === 'active/running' && cur?.status?.pid && cur;
    }, 'the forking unit to be active/running', 15_000);
    const daemon = Number(readFileSync(pidFile, 'utf8'));
    assert.equal(t.status?.pid, daemon);
    assert.ok(pidAlive(daemon), 'the daemon outlives the process that started it');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(stateOf(await c.client.tasks.get(t.metadata.name)), 'active/running', 'the parent exiting does not end the run');
    await deleteService('forky.service');
    assert.ok(!pidAlive(daemon));
  });

  it('orders the start of a unit After= another that is starting on the same machine', async () => {
    const stamps = join(work, 'order.txt');
    await create('early.service', svc(
      ['Service', 'ExecStartPre', '/bin/sleep 1'],
      ['Service', 'ExecStart', `/bin/sh -c 'echo early >> ${stamps}; exec sleep 300'`],
    ));
    await create('late.service', svc(['Unit', 'After', 'early.service'], ['Service', 'ExecStart', `/bin/sh -c 'echo late >> ${stamps}; exec sleep 300'`]));
    await until(async () => stateOf(await taskOf('late.service')) === 'active/running' && stateOf(await taskOf('early.service')) === 'active/running', 'both to run', 15_000);
    await until(() => existsSync(stamps) && readFileSync(stamps, 'utf8').split('\n').length === 3, 'both to write');
    assert.equal(readFileSync(stamps, 'utf8'), 'early\nlate\n');
    await deleteService('late.service');
    await deleteService('early.service');
  });

  it('keeps units across an agent kill -9: a running one is adopted, an active/exited oneshot is not run again', async () => {
    const out = join(work, 'adopt-oneshot.txt');
    await create('kept.service', svc(['Service', 'ExecStart', '/bin/sleep 300']));
    await create('done.service', svc(['Service', 'Type', 'oneshot'], ['Service', 'RemainAfterExit', 'yes'], ['Service', 'ExecStart', `/bin/sh -c 'echo ran >> ${out}'`]));
    const kept = await until(async () => {
      const t = await taskOf('kept.service');
      return stateOf(t) === 'active/running' && t?.status?.pid && t;
    }, 'kept to run', 15_000);
    await until(async () => stateOf(await taskOf('done.service')) === 'active/exited', 'done to be active/exited', 15_000);
    const agent = c.agents[0]!;
    await agent.kill9();
    // startAgent waits for the new agent to register: the machine's status.agentEndpoint
    // changes to the new process's port. It adopted the runs before registering, but decides
    // what to start again only when it applies its first list of tasks; a task bound to the
    // machine now can only have run to completion once that list has been applied.
    await c.startAgent(0, { id: agent.id, dataDir: agent.dataDir });
    const probe = await c.client.tasks.create({ spec: { machine: agent.id, template: { command: ['true'], env: c.env() } } });
    await until(async () => (await c.client.tasks.get(probe.metadata.name)).status?.phase === 'Succeeded', 'the restarted agent to run a task bound to it', 15_000);
    await c.client.tasks.delete(probe.metadata.name);
    const keptAfter = await c.client.tasks.get(kept.metadata.name);
    assert.equal(keptAfter.status?.pid, kept.status?.pid, 'the same process, adopted');
    assert.equal(stateOf(keptAfter), 'active/running');
    assert.equal(stateOf(await taskOf('done.service')), 'active/exited');
    assert.equal(readFileSync(out, 'utf8'), 'ran\n', 'the oneshot did not run again');
    await deleteService('kept.service');
    await deleteService('done.service');
    assert.ok(!pidAlive(kept.status!.pid!));
  });

  it('fails the start with systemd\'s reason: a failing ExecStartPre=, a unit systemd would not load, a missing EnvironmentFile=', async () => {
    await create('badpre.service', svc(['Service', 'ExecStartPre', '/bin/false'], ['Service', 'ExecStart', '/bin/sleep 300']));
    await create('noexec.service', svc(['Service', 'Type', 'simple']));
    await create('noenv.service', svc(['Service', 'EnvironmentFile', join(work, 'nope.env')], ['Service', 'ExecStart', '/bin/sleep 300']));
    const failed = async (name: string) =>
      until(async () => {
        const t = await taskOf(name);
        return t?.status?.phase === 'Failed' && t;
      }, `${name} to fail`, 15_000);
    const pre = await failed('badpre.service');
    assert.equal(stateOf(pre), 'failed/failed');
    assert.match(pre.status?.message ?? '', /ExecStartPre= command "\/bin\/false" exited with code 1/);
    assert.match((await failed('noexec.service')).status?.message ?? '', /service has no ExecStart= setting/);
    assert.match((await failed('noenv.service')).status?.message ?? '', /failed to load environment files: .*nope\.env: no such file or directory/);
    for (const n of ['badpre.service', 'noexec.service', 'noenv.service']) await deleteService(n);
    assert.ok(!existsSync(join(work, 'nope.env')));
  });
});
