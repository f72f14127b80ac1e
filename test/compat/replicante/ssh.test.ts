// End to end with the ssh provider: a registered Host in a network namespace (its own address,
// a real sshd; the server bootstraps a drover agent there) is the node's machine. Its redis listens
// on the host's address, which discovery gives Core; deprovisioning stops redis and gives the host
// back to the pool (it stays active, its agent running), and the next node takes it again.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INSTALLATION_LABEL, type Host, type Operation, type Task } from '../../../src/model/index.js';
import { tempDir, until } from '../../helpers.js';
import { netnsUnavailable, startNetnsHost, type NetnsHost } from '../../hosts/netns-host.js';
import { call, provisionRequest, startPlatform, type Platform } from './platform.js';

const unavailable = netnsUnavailable();
if (unavailable) console.log(`# skipping the ssh provider test: ${unavailable}`);

const ping = (host: string, port: string) => {
  try {
    return execFileSync('redis-cli', ['-h', host, '-p', port, 'ping'], { encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    return `redis-cli failed: ${(err as Error).message}`;
  }
};

describe('Replicante platform: ssh provider', { skip: unavailable }, () => {
  let node: NetnsHost;
  let p: Platform;
  let agentDirs: string;
  const host = () => p.server.state.resources<Host>('hosts').get('db1');
  const opsState = () => p.server.state.resources<Operation>('operations').list().map((o) => `${o.spec.type} ${o.status?.phase} ${o.status?.progress?.message ?? ''} ${o.status?.error ?? ''}`).join('; ');
  const redisTask = (nodeId: string) => p.server.state.resources<Task>('tasks').list().find((t) => t.metadata.labels?.[INSTALLATION_LABEL] === `rpl-${nodeId}` && t.status?.phase === 'Running');
  const discovered = async () => (await call(p, 'GET', 'discover')).json().clusters.find((c: { cluster_id: string }) => c.cluster_id === 'kv')?.nodes ?? [];

  before(async () => {
    node = await startNetnsHost(2);
    agentDirs = tempDir('drover-replicante-hosts-');
    p = await startPlatform({
      listen: `${node.gateway}:0`,
      machineGraceSeconds: 3,
      hosts: { agentDataDir: join(agentDirs, '{host}'), healthIntervalMs: 300, connectTimeoutMs: 2_000, machineWaitMs: 30_000 },
      replicante: { listen: '127.0.0.1:0', provider: 'ssh' },
    });
    await p.client.resource('secrets').create({ metadata: { name: 'db1-ssh' }, spec: { data: { 'ssh-privatekey': node.clientKey } } });
    await p.client.resource('hosts').create({ metadata: { name: 'db1' }, spec: { address: node.address, credentials: { secret: 'db1-ssh' }, machineId: 'b2'.repeat(16) } });
    await until(() => host()?.status?.phase === 'active' || host()?.status?.phase === 'disassociated', () => `host db1 active: ${JSON.stringify(host()?.status)}`, 45_000);
  });
  after(async () => {
    await p?.close();
    await node?.close();
    if (agentDirs) execFileSync('rm', ['-rf', agentDirs]);
  });

  it('provisions a redis node onto the free host, reachable at the host\'s address', async () => {
    const res = await call(p, 'POST', 'provision', provisionRequest({ cluster: 'kv', group: 'main' }));
    assert.equal(res.status, 200, res.text);
    const [id] = res.json().node_ids;
    await until(() => redisTask(id), () => `redis running on db1: ${opsState()}`, 60_000);
    const [n] = await discovered();
    assert.equal(n.node_id, id);
    const url = new URL(n.agent_address);
    assert.equal(url.hostname, node.address);
    assert.equal(ping(node.address, url.port), 'PONG');
    assert.equal(redisTask(id)!.spec.machine, host()!.status!.machine);

    // The only host is taken: another node's provisioning fails (its operation says why), nothing is installed.
    const more = await call(p, 'POST', 'provision', provisionRequest({ cluster: 'kv', group: 'main' }));
    assert.equal(more.status, 200);
    await until(() => p.server.state.resources<Operation>('operations').list().some((o) => o.status?.phase === 'Failed' && /no free host/.test(o.status.error ?? '')), () => `a failed provision: ${opsState()}`);
    assert.equal((await discovered()).length, 1);
  });

  it('deprovisions it: redis stops, the host stays active with its agent and takes the next node', async () => {
    const [n] = await discovered();
    const port = new URL(n.agent_address).port;
    const res = await call(p, 'POST', 'deprovision', { cluster_id: 'kv', node_id: n.node_id });
    assert.equal(res.status, 204, res.text);
    assert.notEqual(ping(node.address, port), 'PONG');
    assert.deepEqual(await discovered(), []);
    assert.match(host()!.status!.phase!, /active|disassociated/);
    const again = await call(p, 'POST', 'provision', provisionRequest({ cluster: 'kv', group: 'main' }));
    const [id] = again.json().node_ids;
    await until(() => redisTask(id), () => `redis running again on db1: ${opsState()}`, 60_000);
    const [m] = await discovered();
    assert.equal(ping(node.address, new URL(m.agent_address).port), 'PONG');
    assert.equal((await call(p, 'POST', 'deprovision', { cluster_id: 'kv', node_id: id })).status, 204);
  });
});
