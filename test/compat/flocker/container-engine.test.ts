// The container driver through a real agent: on a machine without a working podman or docker the
// container's task waits with the reason NoContainerEngine and Flocker's state says it is not
// running. The engine path needs an engine and an image without network: skipped when absent.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent, type RunningAgent } from '../../../src/agent/run.js';
import { CONTAINER_ENGINES, findEngine, NO_ENGINE_REASON } from '../../../src/agent/drivers/container.js';
import { nodeUuid } from '../../../src/compat/flocker/nodes.js';
import type { Task } from '../../../src/model/index.js';
import { systemContext } from '../../../src/registry/index.js';
import { tempDir, until } from '../../helpers.js';
import { call, startFlocker, type FlockerServer } from './flocker.js';

describe('Flocker containers on a real agent', async () => {
  const engine = await findEngine(CONTAINER_ENGINES);
  let fs: FlockerServer;
  let agent: RunningAgent;
  before(async () => {
    fs = await startFlocker();
    const { token } = await fs.server.registry.credentials!.createToken(systemContext, { user: 'system:bootstrap', purpose: 'join', ttlSeconds: 600, description: 'flocker container test agent' });
    agent = await startAgent({ server: fs.url, dataDir: join(tempDir('drover-flocker-agent-'), 'agent'), systemMachineIdFile: '/nonexistent', joinToken: token, logLevel: 'error', heartbeatMs: 500 });
    await until(async () => (await call(fs, 'GET', '/state/nodes')).json().length === 1, 'the agent to be a node');
  });
  after(async () => {
    await agent?.close(true);
    await fs?.close();
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

  it('with a container engine the image runs', { skip: engine ? 'needs an image present without network; not attempted here' : 'no container engine (podman or docker) works on this machine' }, () => {});
});
