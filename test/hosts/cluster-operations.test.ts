// End to end: cluster operations over SSH. Three hosts, each a network namespace with its own
// address and a real sshd, bootstrapped into one cluster; upgrades run a script that records
// which host ran it and when, a restart runs one that takes the host's sshd and agent down and
// brings them back after a pause, as a reboot would. The namespaces share the filesystem, so the
// scripts tell the hosts apart by their address (hostname -I).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isMachineReady, type Cluster, type Host, type Machine, type Operation, type OperationStep } from '../../src/model/index.js';
import { http, startTestServer, tempDir, until, type TestServer } from '../helpers.js';
import { netnsUnavailable, startNetnsHost, type NetnsHost } from './netns-host.js';

const unavailable = netnsUnavailable();
if (unavailable) console.log(`# skipping cluster operation tests: ${unavailable}`);

const NAMES = ['node-a', 'node-b', 'node-c'];

describe('cluster operations over SSH', { skip: unavailable }, () => {
  const nodes: NetnsHost[] = [];
  let ts: TestServer;
  let base: string;
  const machineId = (i: number) => `c${i}`.repeat(16);
  const host = (name: string) => ts.server.state.resources<Host>('hosts').get(name);
  const op = (name: string) => ts.server.state.resources<Operation>('operations').get(name);
  const machine = (i: number) => ts.server.state.resources<Machine>('machines').get(machineId(i));
  const addressOf = (name: string) => nodes[NAMES.indexOf(name)]!.address;
  const orderLog = () => (existsSync(join(base, 'order.log')) ? readFileSync(join(base, 'order.log'), 'utf8').trim().split('\n').filter(Boolean) : []);
  const stepScript = () => join(base, 'step.sh');

  /** Creates a cluster operation and records every version of its steps as the server writes them. */
  async function runOperation(type: string, params: Record<string, unknown>, onVersion?: (o: Operation) => void): Promise<{ name: string; versions: OperationStep[][]; done: Operation }> {
    const created = await ts.client.resource<Operation>('operations').create({ spec: { type, target: { kind: 'Cluster', name: 'prod' }, params } } as never);
    const name = created.metadata.name;
    const versions: OperationStep[][] = [];
    const sub = ts.server.state.cache('operations').subscribe({}, {
      send: (ev) => {
        const o = ev.entry.object as Operation;
        if (o.metadata.name !== name || !o.status?.steps) return;
        versions.push(o.status.steps);
        onVersion?.(o);
      },
      bookmark: () => {},
    });
    try {
      const done = await until(() => ['Succeeded', 'Failed'].includes(op(name)?.status?.phase ?? '') && op(name), () => `operation ${name} to finish: ${JSON.stringify(op(name)?.status)}`, 120_000);
      return { name, versions, done };
    } finally {
      sub.close();
    }
  }

  before(async () => {
    base = tempDir('drover-clusterops-');
    mkdirSync(join(base, 'markers'));
    mkdirSync(join(base, 'env'));
    for (let i = 0; i < NAMES.length; i++) nodes.push(await startNetnsHost(11 + i));
    ts = await startTestServer({
      listen: `${nodes[0]!.gateway}:0`,
      machineGraceSeconds: 3,
      hosts: { serverAddress: nodes[0]!.gateway, agentDataDir: join(base, 'agents', '{host}'), healthIntervalMs: 1_500, connectTimeoutMs: 2_000, machineWaitMs: 30_000 },
    });
    // The server listens on the first namespace's gateway, a local address the other namespaces
    // reach through their own veth. Health checks every 1.5 s, not 0.3: each SSH command costs
    // close to a second here (root's shell start-up), and three hosts checked that often starve
    // the machine.
    writeFileSync(
      stepScript(),
      [
        'addr=$(hostname -I | tr -d " ")',
        `if [ -e ${base}/fail-$addr ]; then echo "preparing $addr"; echo "no space left on device on $addr" >&2; exit 1; fi`,
        `echo "$addr" >> ${base}/order.log`,
        `echo upgraded >> ${base}/markers/$addr`,
      ].join('\n'),
    );
    await ts.client.resource('containermanagers').create({ metadata: { name: 'trivial' }, spec: { type: 'trivial' } });
    await ts.client.resource('clusters').create({ metadata: { name: 'prod' }, spec: { containerManager: 'trivial' } });
    for (const [i, name] of NAMES.entries()) {
      await ts.client.resource('secrets').create({ metadata: { name: `${name}-ssh` }, spec: { data: { 'ssh-privatekey': nodes[i]!.clientKey } } });
      writeFileSync(join(base, 'env', nodes[i]!.address), `DIR=${join(base, 'agents', name)}\nSSHD_PID=${nodes[i]!.sshdPidFile}\nSSHD="${nodes[i]!.sshdDaemonCommand.join(' ')}"\n`);
    }
    // Created in reverse: the operations go in name order, not creation order.
    for (const [i, name] of [...NAMES.entries()].reverse()) {
      await ts.client.resource('hosts').create({ metadata: { name }, spec: { address: nodes[i]!.address, credentials: { secret: `${name}-ssh` }, machineId: machineId(i), cluster: 'prod' } });
    }
    await until(() => NAMES.every((n) => host(n)?.status?.phase === 'active'), () => `hosts active: ${NAMES.map((n) => `${n}=${JSON.stringify(host(n)?.status?.phase)} ${host(n)?.status?.message ?? ''}`).join('; ')}`, 90_000);
  });

  after(async () => {
    await ts?.close();
    for (const n of nodes) await n.close();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('an upgrade runs host by host in name order, one host at a time, its progress visible at each step', async () => {
    const { done, versions } = await runOperation('ClusterUpgrade', { commands: [['sh', stepScript()]] });
    assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status));
    assert.deepEqual(orderLog(), NAMES.map(addressOf));
    for (const n of NAMES) assert.equal(readFileSync(join(base, 'markers', addressOf(n)), 'utf8'), 'upgraded\n');
    assert.deepEqual(done.status?.progress && { completed: done.status.progress.completed, total: done.status.progress.total }, { completed: 3, total: 3 });
    assert.deepEqual(done.status?.steps?.map((s) => [s.name, s.address, s.phase]), NAMES.map((n) => [n, addressOf(n), 'Succeeded']));
    assert.ok(done.status!.steps!.every((s) => s.startedAt && s.finishedAt && s.startedAt <= s.finishedAt));
    // Each version of the steps as written: never two hosts at once, and each host seen Running
    // while the ones before it had Succeeded and the ones after were still Pending.
    for (const v of versions) assert.ok(v.filter((s) => s.phase === 'Running').length <= 1, `two hosts at once: ${JSON.stringify(v)}`);
    const phases = versions.map((v) => v.map((s) => s.phase[0]).join(''));
    for (const want of ['PPP', 'RPP', 'SRP', 'SSR', 'SSS']) assert.ok(phases.includes(want), `steps went through ${want}: ${[...new Set(phases)].join(' ')}`);
  });

  it('a failing host stops the operation: it is Failed naming the host, and later hosts stay Pending and untouched', async () => {
    rmSync(join(base, 'order.log'), { force: true });
    rmSync(join(base, 'markers'), { recursive: true, force: true });
    mkdirSync(join(base, 'markers'));
    writeFileSync(join(base, `fail-${addressOf('node-b')}`), '');
    const { done, name } = await runOperation('ClusterUpgrade', { commands: [['sh', stepScript()]] });
    assert.equal(done.status?.phase, 'Failed');
    assert.match(done.status!.error!, new RegExp(`host "node-b" \\(${addressOf('node-b').replace(/\./g, '\\.')}\\) failed: sh .*step\\.sh exited with status 1`));
    assert.match(done.status!.error!, /1 later host\(s\) left untouched.*drover operation resume/);
    const [a, b, c] = done.status!.steps!;
    assert.equal(a!.phase, 'Succeeded');
    assert.equal(b!.phase, 'Failed');
    assert.match(b!.message!, /exited with status 1; last output:\npreparing .*\nno space left on device/);
    assert.ok(b!.finishedAt);
    assert.deepEqual(c, { name: 'node-c', address: addressOf('node-c'), phase: 'Pending' }, 'the host after the failure was not started');
    assert.deepEqual(orderLog(), [addressOf('node-a')]);
    assert.ok(!existsSync(join(base, 'markers', addressOf('node-c'))), 'node-c never ran the command');
    assert.deepEqual(done.status!.progress && [done.status.progress.completed, done.status.progress.total], [1, 3]);

    // Resuming after the cause is fixed skips what the failed operation finished.
    rmSync(join(base, `fail-${addressOf('node-b')}`));
    const resumed = await runOperation('ClusterUpgrade', { commands: [['sh', stepScript()]], resume: name });
    assert.equal(resumed.done.status?.phase, 'Succeeded', JSON.stringify(resumed.done.status));
    assert.deepEqual(resumed.done.status?.steps?.map((s) => [s.name, s.phase]), [['node-a', 'Skipped'], ['node-b', 'Succeeded'], ['node-c', 'Succeeded']]);
    assert.match(resumed.done.status!.steps![0]!.message!, new RegExp(`finished by operation "${name}"`));
    assert.deepEqual(orderLog(), ['node-a', 'node-b', 'node-c'].map(addressOf));
  });

  it('resume refuses an operation that did not fail, with the reason', async () => {
    const ok = await runOperation('ClusterUpgrade', { commands: [['true']] });
    const refused = await runOperation('ClusterUpgrade', { commands: [['true']], resume: ok.name });
    assert.equal(refused.done.status?.phase, 'Failed');
    assert.match(refused.done.status!.error!, new RegExp(`operation "${ok.name}", which is Succeeded: only a Failed operation can be resumed`));
  });

  it('a restart waits for each host to come back: its step Succeeds only once its Machine is Ready under a new era', async () => {
    const restart = join(base, 'restart.sh');
    const comeback = join(base, 'comeback.sh');
    writeFileSync(
      restart,
      [
        'set -e',
        'addr=$(hostname -I | tr -d " ")',
        `. ${base}/env/$addr`,
        'tr "\\000" "\\n" < /proc/$(cat $DIR/agent.pid)/cmdline > $DIR/agent.cmdline',
        `setsid sh ${comeback} $addr >/dev/null 2>&1 </dev/null &`,
        'echo going down',
      ].join('\n'),
    );
    // The agent comes back before sshd: the host controller, reconnecting, finds it running.
    writeFileSync(
      comeback,
      [
        `. ${base}/env/$1`,
        'sleep 1',
        'kill $(cat $DIR/agent.pid) $(cat $SSHD_PID)',
        'sleep 2',
        'xargs -d "\\n" -a $DIR/agent.cmdline setsid nohup >>$DIR/agent.log 2>&1 </dev/null &',
        'echo $! > $DIR/agent.pid',
        '$SSHD',
      ].join('\n'),
    );
    const erasBefore = NAMES.map((_, i) => machine(i)?.status?.era);
    assert.ok(erasBefore.every(Boolean), `every machine has an era: ${erasBefore.join(', ')}`);
    const seenSucceeded = new Set<string>();
    const problems: string[] = [];
    const { done } = await runOperation('ClusterRestart', { commands: [['sh', restart]], hostTimeoutSeconds: 60 }, (o) => {
      for (const s of o.status?.steps ?? []) {
        if (s.phase !== 'Succeeded' || seenSucceeded.has(s.name)) continue;
        seenSucceeded.add(s.name);
        const i = NAMES.indexOf(s.name);
        const m = machine(i);
        if (!isMachineReady(m) || m?.status?.era === erasBefore[i]) problems.push(`${s.name} Succeeded while its machine was ${isMachineReady(m) ? 'Ready' : 'not Ready'} under era ${m?.status?.era}`);
      }
    });
    assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status));
    assert.deepEqual(problems, []);
    assert.deepEqual([...seenSucceeded], NAMES);
    for (const [i, s] of done.status!.steps!.entries()) {
      assert.notEqual(machine(i)?.status?.era, erasBefore[i], `${s.name} restarted its agent`);
      assert.match(s.message!, /restarted: machine .* is back with a new era, SSH answers/);
    }
  });

  it('the cluster\'s status follows its hosts\' phases, and a host is active only in a cluster with a container manager', async () => {
    const cluster = async (name: string) => (await http(`${ts.url}/api/v1/clusters/${name}`)).json() as Cluster;
    await until(async () => (await cluster('prod')).status?.phase === 'ok', 'cluster prod to be ok after the restart', 30_000);
    assert.deepEqual((await cluster('prod')).status?.hosts, { total: 3, available: 3, unavailable: 0 });
    assert.equal((await cluster('prod')).status?.conditions?.find((c) => c.type === 'References')?.status, 'True');

    // A cluster without a container manager: its member is disassociated, without a new bootstrap.
    const era = machine(2)?.status?.era;
    await ts.client.resource('clusters').create({ metadata: { name: 'bare' }, spec: { network: 'nowhere' } });
    await ts.client.resource('hosts').patch('node-c', { spec: { cluster: 'bare' } });
    await until(() => host('node-c')?.status?.phase === 'disassociated', () => `node-c disassociated: ${JSON.stringify(host('node-c')?.status)}`, 20_000);
    await until(async () => (await cluster('prod')).status?.hosts?.total === 2, 'prod to count 2 hosts');
    assert.deepEqual((await cluster('prod')).status?.hosts, { total: 2, available: 2, unavailable: 0 });
    await until(async () => (await cluster('bare')).status?.phase === 'failed', 'bare to be failed: its one member is not active');
    const bare = await cluster('bare');
    assert.deepEqual(bare.status?.hosts, { total: 1, available: 0, unavailable: 1 });
    const refs = bare.status?.conditions?.find((c) => c.type === 'References');
    assert.equal(refs?.status, 'False');
    assert.equal(refs?.reason, 'NetworkNotFound');
    assert.match(refs!.message!, /network "nowhere" does not exist/);

    // Giving the cluster a container manager makes its member active; the agent was not restarted.
    await ts.client.resource('clusters').patch('bare', { spec: { containerManager: 'trivial' } });
    await until(() => host('node-c')?.status?.phase === 'active', () => `node-c active: ${JSON.stringify(host('node-c')?.status)}`, 20_000);
    await until(async () => (await cluster('bare')).status?.phase === 'ok', 'bare to be ok');
    assert.equal(machine(2)?.status?.era, era, 'the agent kept running: no new bootstrap');

    // One unreachable member makes the cluster degraded. The restart left sshd running as a
    // daemon the harness did not start: it is stopped through its pid file.
    process.kill(Number(readFileSync(nodes[0]!.sshdPidFile, 'utf8').trim()), 'SIGTERM');
    await until(async () => (await cluster('prod')).status?.phase === 'degraded', 'prod degraded while node-a is unreachable', 20_000);
    assert.deepEqual((await cluster('prod')).status?.hosts, { total: 2, available: 1, unavailable: 1 });
    await nodes[0]!.startSshd();
    await until(async () => (await cluster('prod')).status?.phase === 'ok', 'prod ok again', 20_000);
  });

  it('bad operation parameters are refused with 422 naming the field', async () => {
    const res = await http(`${ts.url}/api/v1/operations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ spec: { type: 'ClusterDeploy', target: { kind: 'Cluster', name: 'prod' }, params: { batchSize: 0 } } }) });
    assert.equal(res.status, 422);
    const text = res.text;
    assert.match(text, /\/spec\/params\/batchSize/);
    assert.match(text, /needs the version to deploy/);
  });
});
