// End to end with the local provider: Core's calls provision redis nodes, each a new drover agent
// process the server starts plus a real redis-server; discovery shows them with their groups and
// classes; redis answers PING on each; a deprovisioned node's redis and agent die, it leaves
// discovery and nothing replaces it; and no agent or redis process outlives the server.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { INSTALLATION_LABEL, type Installation, type Machine, type Operation, type Task } from '../../../src/model/index.js';
import type { LocalAgents } from '../../../src/providers/local-agents.js';
import { until } from '../../helpers.js';
import { call, provisionRequest, startPlatform, type Platform } from './platform.js';

interface Node {
  agent_address: string;
  node_class: string;
  node_id: string;
  node_group: string | null;
}

/** Running (a zombie left to this machine's PID 1, which reaps nothing, has exited). */
const isAlive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

const ping = (port: string) => {
  try {
    return execFileSync('redis-cli', ['-p', port, 'ping'], { encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    return `redis-cli failed: ${(err as Error).message}`;
  }
};

describe('Replicante platform: local provider', () => {
  let p: Platform;
  /** Every agent and redis pid seen, to check none survives. */
  const pids = new Set<number>();
  const local = () => p.server.replicanteProvider as LocalAgents;
  const nodes = async (): Promise<Node[]> => (await call(p, 'GET', 'discover')).json().clusters.find((c: { cluster_id: string }) => c.cluster_id === 'cache')?.nodes ?? [];
  const tasksOf = (nodeId: string) => p.server.state.resources<Task>('tasks').list().filter((t) => t.metadata.labels?.[INSTALLATION_LABEL] === `rpl-${nodeId}`);
  const redisPid = (nodeId: string) => tasksOf(nodeId).find((t) => t.status?.phase === 'Running')?.status?.pid ?? undefined;
  const opsState = () => p.server.state.resources<Operation>('operations').list().map((o) => `${o.metadata.name} ${o.status?.phase} ${o.status?.progress?.message ?? ''} ${o.status?.error ?? ''}`).join('; ');
  /** Every node's redis port. */
  const ports: string[] = [];
  const remember = () => {
    for (const i of p.server.state.resources<Installation>('installations').list()) if (i.spec.values?.port) ports.push(i.spec.values.port);
    for (const pid of local().pids()) pids.add(pid);
    for (const t of p.server.state.resources<Task>('tasks').list()) if (t.status?.pid) pids.add(t.status.pid);
  };
  const provisioned = async (ids: string[]) => {
    await until(
      () => ids.every((id) => redisPid(id) !== undefined),
      () => `redis running for ${ids.join(', ')}; operations: ${opsState()}`,
      60_000,
    );
    remember();
  };

  before(async () => {
    p = await startPlatform();
  });
  after(async () => {
    if (p) remember();
    await p?.close();
    // A process killed as the server closed may take a moment to exit: waited for, with a deadline.
    let alive: number[] = [];
    await until(() => (alive = [...pids].filter(isAlive)).length === 0, () => `no agent or redis process to outlive the server; alive: ${alive.join(', ')}`, 10_000).catch(() => undefined);
    assert.deepEqual(alive, [], 'no agent or redis process outlives the server');
    // Pids the test never saw (a task started as its agent stopped) count too.
    const redis = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n').filter((l) => ports.some((port) => l.includes(`redis-server 127.0.0.1:${port}`)));
    assert.deepEqual(redis, [], 'no redis process of the nodes is left');
  });

  let first: string;
  it('provisions 1 node (SDK store_version, count omitted) and answers {count, node_ids} at once', async () => {
    const res = await call(p, 'POST', 'provision', provisionRequest({ group: 'main', nodeClass: 'small' }));
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.equal(body.count, 1);
    assert.equal(body.node_ids.length, 1);
    first = body.node_ids[0];
    await provisioned([first]);
    const ns = await nodes();
    assert.equal(ns.length, 1);
    assert.deepEqual({ ...ns[0], agent_address: undefined }, { agent_address: undefined, node_class: 'small', node_id: first, node_group: 'main' });
    const port = new URL(ns[0]!.agent_address).port;
    assert.equal(ping(port), 'PONG');
    // node_class small: its agent offers 1 cpu and 512Mi; the group's attributes reached redis.
    const inst = p.server.state.resources<Installation>('installations').get(`default/rpl-${first}`)!;
    const machine = p.server.state.resources<Machine>('machines').get(inst.spec.constraints!.machine!)!;
    assert.equal(Number(machine.status?.capacity?.memory), 512 * 1024 * 1024);
    assert.equal(inst.spec.values?.maxmemory, '32mb');
  });

  let others: string[];
  it('provisions 3 more in another group (the seed\'s version key), each with its own agent, all answering PING', async () => {
    const body = provisionRequest({ group: 'replicas', nodeClass: 'medium', count: 3, version: {}, groupVersion: { version: '7.0' } });
    const res = await call(p, 'POST', 'provision', body);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json().count, 3);
    others = res.json().node_ids;
    assert.equal(new Set(others).size, 3);
    await provisioned(others);
    const ns = await until(async () => ((await nodes()).length === 4 ? nodes() : undefined), 'four nodes in discovery');
    assert.deepEqual(ns.map((n) => n.node_id).sort(), [first, ...others].sort());
    for (const n of ns) {
      assert.equal(n.node_group, n.node_id === first ? 'main' : 'replicas');
      assert.equal(n.node_class, n.node_id === first ? 'small' : 'medium');
      assert.match(n.agent_address, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(ping(new URL(n.agent_address).port), 'PONG', `node ${n.node_id}`);
    }
    assert.equal(new Set(ns.map((n) => n.agent_address)).size, 4, 'one port per node');
    assert.equal(local().runningNodes().length, 4, 'one agent process per node');
  });

  it('deprovisions one: 204 with no body, its redis and agent are gone, it leaves discovery and is not replaced', async () => {
    const victim = others[0]!;
    const port = new URL((await nodes()).find((n) => n.node_id === victim)!.agent_address).port;
    const redis = redisPid(victim)!;
    const agentsBefore = new Set(local().pids());
    const res = await call(p, 'POST', 'deprovision', { cluster_id: 'cache', node_id: victim });
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    assert.equal(isAlive(redis), false, 'its redis process is gone');
    assert.notEqual(ping(port), 'PONG');
    assert.deepEqual(local().runningNodes().sort(), [first, ...others.slice(1)].sort(), 'its agent stopped, the others run');
    const gone = [...agentsBefore].filter((pid) => !local().pids().includes(pid));
    assert.equal(gone.length, 1);
    await until(() => !isAlive(gone[0]!), 'the agent process to be reaped');
    assert.deepEqual((await nodes()).map((n) => n.node_id).sort(), [first, ...others.slice(1)].sort());
    // Not replaced: no installation, service, task or agent for it comes back while the others keep running.
    await until(() => tasksOf(others[1]!).some((t) => t.status?.phase === 'Running'), 'the others running');
    assert.equal(tasksOf(victim).length, 0);
    assert.equal(p.server.state.resources<Installation>('installations').list().length, 3);
    assert.equal((await nodes()).length, 3);
    // Again: the node is unknown now.
    assert.equal((await call(p, 'POST', 'deprovision', { cluster_id: 'cache', node_id: victim })).status, 404);
  });

  it('after a server restart the nodes\' agents start again and redis answers on the same ports', async () => {
    const before = (await nodes()).map((n) => n.agent_address).sort();
    remember();
    await p.restart();
    p.base = p.server.replicanteUrl!;
    await until(() => local().runningNodes().length === 3, 'three agents started again');
    assert.deepEqual((await nodes()).map((n) => n.agent_address).sort(), before);
    for (const address of before) await until(() => ping(new URL(address).port) === 'PONG', () => `PONG from ${address}: ${opsState()}`, 30_000);
    remember();
  });

  it('records the work as operations with progress', async () => {
    const ops = p.server.state.resources<Operation>('operations').list();
    const provisions = ops.filter((o) => o.spec.type === 'ReplicanteProvision');
    assert.equal(provisions.length, 2);
    for (const o of provisions) {
      assert.equal(o.status?.phase, 'Succeeded', o.status?.error);
      assert.equal(o.status?.progress?.completed, o.status?.progress?.total);
    }
    assert.equal(ops.filter((o) => o.spec.type === 'ReplicanteDeprovision' && o.status?.phase === 'Succeeded').length, 1);
  });
});
