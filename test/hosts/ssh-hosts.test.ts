// End to end: Hosts reached over SSH. Each host is a network namespace with its own address and
// a real sshd; the server bootstraps a real drover agent there over SSH, and checks the host
// again every few hundred milliseconds (a minute outside tests).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HOST_LABEL, isMachineReady, type Host, type Machine, type Task } from '../../src/model/index.js';
import { startTestServer, tempDir, until, type TestServer } from '../helpers.js';
import { netnsUnavailable, startNetnsHost, type NetnsHost } from './netns-host.js';

const unavailable = netnsUnavailable();
if (unavailable) console.log(`# skipping SSH host tests: ${unavailable}`);

describe('hosts reached over SSH', { skip: unavailable }, () => {
  let node: NetnsHost;
  let ts: TestServer;
  let agentDirs: string;
  const machineId = 'a1'.repeat(16);
  const hosts = () => ts.client.resource<Host>('hosts');
  const host = (name: string) => ts.server.state.resources<Host>('hosts').get(name);
  const describeHost = (name: string) => () => `host ${name}: ${JSON.stringify(host(name)?.status)}; agent log: ${agentLog()}`;
  const agentLog = () => {
    try {
      return readFileSync(join(agentDirs, 'web1', 'agent.log'), 'utf8').slice(-1500);
    } catch {
      return 'none';
    }
  };

  before(async () => {
    node = await startNetnsHost(1);
    agentDirs = tempDir('drover-host-agents-');
    ts = await startTestServer({
      listen: `${node.gateway}:0`,
      machineGraceSeconds: 3,
      hosts: { agentDataDir: join(agentDirs, '{host}'), healthIntervalMs: 300, connectTimeoutMs: 2_000, machineWaitMs: 30_000 },
    });
    await ts.client.resource('secrets').create({ metadata: { name: 'web1-ssh' }, spec: { data: { 'ssh-privatekey': node.clientKey } } });
    // Commissaire's rule: a host is active only in a cluster that has a container manager.
    await ts.client.resource('containermanagers').create({ metadata: { name: 'trivial' }, spec: { type: 'trivial' } });
    await ts.client.resource('clusters').create({ metadata: { name: 'prod' }, spec: { containerManager: 'trivial' } });
  });
  after(async () => {
    await ts?.close();
    await node?.close();
    execFileSync('rm', ['-rf', agentDirs]);
  });

  it('bootstraps a host to active: facts gathered, host key recorded, its agent registered, Ready, linked, and running a task', async () => {
    await hosts().create({ metadata: { name: 'web1' }, spec: { address: node.address, credentials: { secret: 'web1-ssh' }, machineId, cluster: 'prod' } });
    const active = await until(() => host('web1')?.status?.phase === 'active' && host('web1'), describeHost('web1'), 45_000);
    const st = active.status!;
    assert.equal(st.machine, machineId);
    assert.equal(st.hostKeyFingerprint, node.hostKeyFingerprint());
    assert.equal(st.os, /^ID=(.*)$/m.exec(readFileSync('/etc/os-release', 'utf8'))![1]!.replace(/"/g, ''));
    assert.ok(st.cpus! >= 1 && st.memory! > 0 && st.space! > 0, `facts: ${JSON.stringify(st)}`);
    const machine = ts.server.state.resources<Machine>('machines').get(machineId)!;
    assert.ok(isMachineReady(machine));
    assert.equal(machine.metadata.labels?.[HOST_LABEL], 'web1');
    assert.match(machine.status?.agentEndpoint ?? '', new RegExp(`^https://${node.address.replace(/\./g, '\\.')}:`), 'the agent listens on the host\'s own address');

    await ts.client.tasks.create({ metadata: { name: 'on-host' }, spec: { template: { command: ['sh', '-c', 'echo "from $(hostname -I)"; sleep 300'] } } });
    const task = () => ts.server.state.resources<Task>('tasks').get('default/on-host');
    await until(() => task()?.status?.phase === 'Running', () => `task on-host to run: ${JSON.stringify(task()?.status)}`, 20_000);
    assert.equal(task()!.spec.machine, machineId);
    const log = await until(async () => {
      const text = await (await fetch(`${ts.url}/api/v1/tasks/on-host/log`)).text();
      return text.includes('from') && text;
    }, 'the task\'s log through the server', 10_000);
    assert.match(log, new RegExp(`from ${node.address.replace(/\./g, '\\.')}`), 'the task ran inside the host\'s namespace');
  });

  it('a host whose sshd stops is failed as unreachable, and active again when sshd is back', async () => {
    await node.stopSshd();
    await until(() => host('web1')?.status?.phase === 'failed', describeHost('web1'), 15_000);
    assert.equal(host('web1')!.status!.reason, 'Unreachable');
    assert.match(host('web1')!.status!.message!, new RegExp(node.address.replace(/\./g, '\\.')));
    await node.startSshd();
    // Back to active takes a full investigation over SSH (several commands), slow on a loaded machine.
    await until(() => host('web1')?.status?.phase === 'active', describeHost('web1'), 30_000);
    assert.equal(host('web1')!.status!.reason, 'HealthCheckPassed');
  });

  it('a host whose host key changed is failed, naming the recorded and the new fingerprint, and stays failed', async () => {
    const recorded = host('web1')!.status!.hostKeyFingerprint!;
    await node.stopSshd();
    await node.startSshd({ newHostKey: true });
    const now = node.hostKeyFingerprint();
    assert.notEqual(now, recorded);
    await until(() => host('web1')?.status?.reason === 'HostKeyChanged', describeHost('web1'), 15_000);
    const st = host('web1')!.status!;
    assert.equal(st.phase, 'failed');
    assert.ok(st.message!.includes(recorded) && st.message!.includes(now), st.message);
    assert.equal(st.hostKeyFingerprint, recorded, 'the pin is not replaced by the key the host shows');
    // Pinning the new key in spec is how an operator accepts a reinstalled host.
    await hosts().patch('web1', { spec: { hostKey: now } });
    await until(() => host('web1')?.status?.phase === 'active', describeHost('web1'), 30_000);
  });

  it('a host taken out of its cluster is disassociated, its agent still serving it', async () => {
    await hosts().patch('web1', { spec: { cluster: null } });
    await until(() => host('web1')?.status?.phase === 'disassociated', describeHost('web1'), 30_000);
    assert.equal(host('web1')!.status!.machine, machineId);
    assert.ok(isMachineReady(ts.server.state.resources<Machine>('machines').get(machineId)));
  });

  it('a host given a key its sshd does not accept is failed with the reason', async () => {
    const other = tempDir('drover-otherkey-');
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(other, 'key')]);
      await ts.client.resource('secrets').create({ metadata: { name: 'wrong-ssh' }, spec: { data: { 'ssh-privatekey': readFileSync(join(other, 'key'), 'utf8') } } });
    } finally {
      execFileSync('rm', ['-rf', other]);
    }
    await hosts().create({ metadata: { name: 'wrongkey' }, spec: { address: node.address, credentials: { secret: 'wrong-ssh' }, machineId: 'b2'.repeat(16) } });
    await until(() => host('wrongkey')?.status?.phase === 'failed', describeHost('wrongkey'), 15_000);
    assert.equal(host('wrongkey')!.status!.reason, 'AuthenticationFailed');
    assert.match(host('wrongkey')!.status!.message!, /refused the credentials/);
    assert.equal(ts.server.state.resources<Machine>('machines').get('b2'.repeat(16)), undefined, 'no agent was started');
  });
});
