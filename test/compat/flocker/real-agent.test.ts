// A real agent as a Flocker node: its address, and its era (new at each start). The container
// driver through it: on a machine without a working podman or docker the
// container's task waits with the reason NoContainerEngine and Flocker's state says it is not
// running. The engine path needs an engine and an image without network: skipped when absent.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent, type RunningAgent } from '../../../src/agent/run.js';
import { CONTAINER_ENGINES, findEngine, NO_ENGINE_REASON } from '../../../src/agent/drivers/container.js';
import { nodeUuid } from '../../../src/compat/flocker/nodes.js';
import type { Machine, Task } from '../../../src/model/index.js';
import { systemContext } from '../../../src/registry/index.js';
import { tempDir, until } from '../../helpers.js';
import { call, startFlocker, type FlockerServer } from './flocker.js';

describe('Flocker on a real agent', async () => {
  const engine = await findEngine(CONTAINER_ENGINES);
  let fs: FlockerServer;
  let agent: RunningAgent;
  let dataDir: string;
  let agentDir: string;
  const start = async () => {
    const { token } = await fs.server.registry.credentials!.createToken(systemContext, { user: 'system:bootstrap', purpose: 'join', ttlSeconds: 600, description: 'flocker container test agent' });
    return startAgent({ server: fs.url, dataDir, systemMachineIdFile: '/nonexistent', joinToken: token, logLevel: 'error', heartbeatMs: 500 });
  };
  before(async () => {
    fs = await startFlocker();
    agentDir = tempDir('drover-flocker-agent-');
    dataDir = join(agentDir, 'agent');
    agent = await start();
    await until(async () => (await call(fs, 'GET', '/state/nodes')).json().length === 1, 'the agent to be a node');
  });
  after(async () => {
    await agent?.close(true);
    await fs?.close();
    if (agentDir) rmSync(agentDir, { recursive: true, force: true });
  });

  it('the agent is a node with its address, found by its era until it restarts', async () => {
    const machine = () => fs.server.registry.kind<Machine>('machines').find(systemContext, agent.id);
    const first = await machine();
    const [node] = (await call(fs, 'GET', '/state/nodes')).json();
    assert.deepEqual(node, { host: first?.status?.address, uuid: nodeUuid(agent.id) });
    const era = first!.status!.era!;
    assert.deepEqual((await call(fs, 'GET', `/state/nodes/by_era/${era}`)).json(), { uuid: nodeUuid(agent.id) });
    await agent.close(false);
    agent = await start();
    const later = await until(async () => {
      const m = await machine();
      return m?.status?.era !== era && m?.status?.era;
    }, 'the restarted agent to report a new era');
    assert.equal((await call(fs, 'GET', `/state/nodes/by_era/${era}`)).status, 404);
    assert.deepEqual((await call(fs, 'GET', `/state/nodes/by_era/${later}`)).json(), { uuid: nodeUuid(agent.id) });
  });

  it('without a container engine the task waits with NoContainerEngine and runs nothing', { skip: engine ? `a container engine (${engine}) works here: the no-engine path cannot be shown` : false }, async () => {
    const node = nodeUuid(agent.id);
    const res = await call(fs, 'POST', '/configuration/containers', { body: { node_uuid: node, name: 'app', image: 'busybox', command_line: ['sleep', '60'] } });
    assert.equal(res.status, 201, res.text);
    const task = await until(
      () => fs.server.registry.kind<Task>('tasks', 'default').list(systemContext).find((t) => t.status?.reason === NO_ENGINE_REASON),
      'the container task to report NoContainerEngine',
      15_000,
    );
    assert.equal(task.status?.phase, 'Scheduled');
    assert.match(task.status?.message ?? '', /looked for podman and docker/);
    assert.equal(task.spec.machine, agent.id);
    const state = (await call(fs, 'GET', '/state/containers')).json();
    assert.deepEqual(state.map((c: { name: string; node_uuid: string; running: boolean }) => [c.name, c.node_uuid, c.running]), [['app', node, false]]);
  });

  it('with a container engine the image runs', { skip: engine ? 'a real image needs the network; engine-stand-in.test.ts covers the driver\'s engine path' : 'no container engine (podman or docker) works on this machine; engine-stand-in.test.ts covers the driver\'s engine path with a stand-in' }, () => {});
});
