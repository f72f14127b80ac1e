// End to end, through fleet's API as fleetctl drives it: a .timer unit starts the .service it
// activates, loaded on the same machine, again and again; unit types drover does not run fail
// at once, saying so. A real agent, real processes.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Task } from '../../src/client/client.js';
import { fleet } from '../fleet/fleet.js';
import { tempDir, until } from '../helpers.js';
import { processesWith, startCluster, type Cluster } from './cluster.js';

type Option = { section: string; name: string; value: string };
const TERMINAL = ['Succeeded', 'Failed', 'Lost'];

describe('timer units and unit types drover does not run', () => {
  let c: Cluster;
  let work: string;
  before(async () => {
    c = await startCluster(1, { secure: true, machineGraceSeconds: 15 });
    work = tempDir('drover-timers-');
  });
  after(async () => {
    await c.close();
    rmSync(work, { recursive: true, force: true });
    assert.deepEqual(processesWith(c.marker), [], 'no unit process may outlive the suite');
  });

  const opt = (section: string, name: string, value: string): Option => ({ section, name, value });
  const put = async (name: string, desiredState: string, options: Option[]) => {
    const r = await fleet(c.server.url, undefined, c.auth).put(`/units/${name}`, { desiredState, options });
    assert.equal(r.status, 201, r.text);
  };
  const tasksOf = async (unit: string): Promise<Task[]> => (await c.client.tasks.list({ fieldSelector: `metadata.owner=${unit}` })).items;
  const stateOf = (t: Task | undefined) => (t?.status?.unitState ? `${t.status.unitState.active}/${t.status.unitState.sub}` : undefined);
  const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
  /** Every status the task goes through, as the agent reports them, while `fn` runs. */
  const watchPhases = (name: string) => {
    const seen: string[] = [];
    const abort = new AbortController();
    const done = (async () => {
      try {
        for await (const ev of c.client.tasks.watch({ fieldSelector: `metadata.name=${name}`, signal: abort.signal })) {
          const t = ev.object as Task | undefined;
          if (ev.type !== 'BOOKMARK' && t?.status?.phase) seen.push(t.status.phase);
        }
      } catch {
        // aborted
      }
    })();
    return { seen, stop: async () => (abort.abort(), await done) };
  };

  it('OnActiveSec= then OnUnitActiveSec= start the loaded oneshot service again and again; each run ends loaded, never finished', async () => {
    const out = join(work, 'ticks');
    await put('tick.service', 'loaded', [
      opt('Service', 'Type', 'oneshot'),
      opt('Service', 'Environment', `DROVER_E2E=${c.marker}`),
      // %% is a literal % in a unit file.
      opt('Service', 'ExecStart', `/bin/sh -c 'date +%%s.%%N >> ${out}'`),
    ]);
    const loaded = await until(async () => {
      const [t] = await tasksOf('tick.service');
      return t?.status?.phase === 'Scheduled' && stateOf(t) === 'inactive/dead' && t;
    }, 'tick.service to be loaded, inactive/dead', 15_000);
    const phases = watchPhases(loaded.metadata.name);
    try {
      await put('tick.timer', 'launched', [opt('Timer', 'OnActiveSec', '1s'), opt('Timer', 'OnUnitActiveSec', '2s')]);
      const timerTask = await until(async () => {
        const [t] = await tasksOf('tick.timer');
        return t?.status?.phase === 'Running' && stateOf(t) === 'active/waiting' && t;
      }, 'the timer to be active/waiting', 15_000);
      assert.match(timerTask.status?.message ?? '', /next elapse .* activating tick\.service/);

      await until(() => lines(out).length >= 3, 'the timer to fire three times', 20_000);
      const times = lines(out).map(Number);
      assert.ok(times[2]! - times[1]! >= 1.5, `OnUnitActiveSec=2s spaces the runs (${times.join(', ')})`);
      const settled = await until(async () => {
        const ts = await tasksOf('tick.service');
        return ts.length === 1 && ts[0]!.status?.phase === 'Scheduled' && stateOf(ts[0]) === 'inactive/dead' && ts[0];
      }, 'the service to be back to loaded after a run', 10_000);
      assert.equal(settled.metadata.uid, loaded.metadata.uid, 'the same task runs each time');
      assert.equal(settled.status?.exitCode, 0);
    } finally {
      await phases.stop();
    }
    assert.ok(phases.seen.includes('Running'), `it ran (phases: ${phases.seen.join(' ')})`);
    assert.ok(!phases.seen.some((p) => TERMINAL.includes(p)), `never a terminal phase (phases: ${phases.seen.join(' ')})`);
    const [timerNow] = await tasksOf('tick.timer');
    assert.equal(stateOf(timerNow), 'active/waiting');
    assert.match(timerNow!.status?.message ?? '', /^waiting: next elapse \S+, activating tick\.service; last triggered tick\.service at /);

    await fleet(c.server.url, undefined, c.auth).del('/units/tick.timer');
    await fleet(c.server.url, undefined, c.auth).del('/units/tick.service');
    let left: Task[] = [];
    await until(
      async () => (left = [...(await tasksOf('tick.timer')), ...(await tasksOf('tick.service'))]).length === 0,
      () => `the units to be gone; left: ${left.map((t) => `${t.metadata.name} ${t.status?.phase} ${stateOf(t)}${t.metadata.deletionTimestamp ? ' (deleting)' : ''}`).join(', ')}`,
      20_000,
    );
  });

  it('a run that fails goes back to loaded as failed/failed with the exit in its message, and runs again at the next elapse', async () => {
    const out = join(work, 'fails');
    await put('flaky.service', 'loaded', [
      opt('Service', 'Type', 'oneshot'),
      opt('Service', 'Environment', `DROVER_E2E=${c.marker}`),
      opt('Service', 'ExecStart', `/bin/sh -c 'echo x >> ${out}; exit 3'`),
    ]);
    await until(async () => (await tasksOf('flaky.service'))[0]?.status?.phase === 'Scheduled', 'flaky.service to be loaded', 15_000);
    await put('flaky.timer', 'launched', [opt('Timer', 'OnActiveSec', '1s'), opt('Timer', 'OnUnitActiveSec', '1s')]);
    const failed = await until(async () => {
      const [t] = await tasksOf('flaky.service');
      return lines(out).length >= 1 && t?.status?.phase === 'Scheduled' && stateOf(t) === 'failed/failed' && t;
    }, 'the run to end failed/failed, loaded', 15_000);
    assert.equal(failed.status?.message, 'exited with code 3');
    assert.equal(failed.status?.exitCode, 3);
    await until(() => lines(out).length >= 2, 'the timer to start it again', 15_000);
    const states = await c.client.tasks.list({ fieldSelector: 'metadata.owner=flaky.service' });
    assert.equal(states.items.length, 1, 'no new task: the same one is started again');
    const fleetState = (await fleet(c.server.url, undefined, c.auth).get('/state?unitName=flaky.service')).json().states?.[0];
    assert.equal(fleetState?.systemdLoadState, 'loaded');

    await fleet(c.server.url, undefined, c.auth).del('/units/flaky.timer');
    await fleet(c.server.url, undefined, c.auth).del('/units/flaky.service');
    await until(async () => (await tasksOf('flaky.timer')).length + (await tasksOf('flaky.service')).length === 0, 'the units to be gone', 20_000);
  });

  it('Persistent=: a calendar elapse missed while the agent was down runs once when it is back; without it, it is not made up', async () => {
    const outP = join(work, 'persistent');
    const outQ = join(work, 'volatile');
    const service = (out: string) => [
      opt('Service', 'Type', 'oneshot'),
      opt('Service', 'Environment', `DROVER_E2E=${c.marker}`),
      opt('Service', 'ExecStart', `/bin/sh -c 'echo ran >> ${out}'`),
    ];
    await put('p.service', 'loaded', service(outP));
    await put('q.service', 'loaded', service(outQ));
    // One elapse, a few seconds ahead: the agent is down when it passes.
    const at = Math.ceil(Date.now() / 1000) * 1000 + 5000;
    const when = `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
    await put('p.timer', 'launched', [opt('Timer', 'OnCalendar', when), opt('Timer', 'Persistent', 'yes')]);
    await put('q.timer', 'launched', [opt('Timer', 'OnCalendar', when)]);
    await until(async () => {
      const ts = [...(await tasksOf('p.timer')), ...(await tasksOf('q.timer'))];
      return ts.length === 2 && ts.every((t) => stateOf(t) === 'active/waiting');
    }, 'both timers to wait', 15_000);
    assert.ok(Date.now() < at - 500, 'the timers were armed before the elapse');
    const agent = c.agents[0]!;
    await agent.kill9();
    await until(() => Date.now() > at + 500, 'the elapse to pass while the agent is down', 10_000);
    await c.startAgent(0, { id: agent.id, dataDir: agent.dataDir });

    await until(() => lines(outP).length === 1, 'the persistent timer to make up the missed run', 15_000);
    await until(async () => stateOf((await tasksOf('q.timer'))[0]) === 'active/elapsed', 'the other timer to be elapsed, with nothing left to wait for', 15_000);
    await until(async () => stateOf((await tasksOf('p.timer'))[0]) === 'active/elapsed', 'the persistent timer to be elapsed after its run', 15_000);
    assert.deepEqual(lines(outP), ['ran'], 'made up once');
    assert.deepEqual(lines(outQ), [], 'a timer without Persistent= does not make up a missed run');
    for (const u of ['p.timer', 'q.timer', 'p.service', 'q.service']) await fleet(c.server.url, undefined, c.auth).del(`/units/${u}`);
  });

  it('a timer whose service is not loaded on its machine says so and what to do, and stays elapsed', async () => {
    await put('lonely.timer', 'launched', [opt('Timer', 'OnActiveSec', '1s')]);
    const t = await until(async () => {
      const [task] = await tasksOf('lonely.timer');
      return stateOf(task) === 'active/elapsed' && task;
    }, 'the timer to elapse', 15_000);
    assert.match(
      t.status?.message ?? '',
      /^elapsed: no trigger left to wait for; elapsed at \S+ but could not start lonely\.service: lonely\.service is not loaded on this machine: load it, and give the timer MachineOf=lonely\.service in its \[X-Fleet\] section$/,
    );
    assert.equal(t.status?.phase, 'Running', 'an elapsed timer stays active (RemainAfterElapse=yes)');
    await fleet(c.server.url, undefined, c.auth).del('/units/lonely.timer');
  });

  it('a .socket unit fails at once, failed/failed, with a message saying drover does not run it, and is not restarted', async () => {
    await put('echo.socket', 'launched', [opt('Socket', 'ListenStream', '127.0.0.1:0'), opt('Socket', 'Accept', 'yes')]);
    const failed = await until(async () => {
      const ts = (await tasksOf('echo.socket')).sort((a, b) => a.metadata.createdAt!.localeCompare(b.metadata.createdAt!));
      return ts[0]?.status?.phase === 'Failed' && ts[0];
    }, 'the .socket unit to fail', 15_000);
    assert.equal(stateOf(failed), 'failed/failed');
    assert.equal(failed.status?.message, 'drover does not run .socket units (only .service and .timer units): "echo.socket" is left failed; run the service it stands for as a .service unit instead');
    assert.equal(failed.status?.restarts ?? 0, 0, 'the agent does not restart it');
    // The service has seen it fail (its state says so), and keeps it where it failed: no new task.
    await until(async () => (await c.client.services.get('echo.socket')).status?.state === 'failed', 'the unit to show failed', 15_000);
    assert.deepEqual((await tasksOf('echo.socket')).map((t) => t.metadata.uid), [failed.metadata.uid], 'failed once: not replaced');
    await fleet(c.server.url, undefined, c.auth).del('/units/echo.socket');
  });
});
