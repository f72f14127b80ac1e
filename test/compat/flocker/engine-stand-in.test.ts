// The container driver's engine path through a real agent, with a stand-in engine: a `podman` on
// PATH that answers `info` and, asked to `run`, records its arguments and stays up like a
// container would. No image or network is needed, and what the driver asks of the engine and
// how the task's life follows the engine process is what is checked.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent, type RunningAgent } from '../../../src/agent/run.js';
import { nodeUuid } from '../../../src/compat/flocker/nodes.js';
import type { Task } from '../../../src/model/index.js';
import { systemContext } from '../../../src/registry/index.js';
import { tempDir, until } from '../../helpers.js';
import { call, startFlocker, type FlockerServer } from './flocker.js';

describe('Flocker containers with an engine on PATH', () => {
  let fs: FlockerServer;
  let agent: RunningAgent;
  let bin: string;
  let agentDir: string;
  before(async () => {
    bin = tempDir('drover-fake-engine-');
    const engine = join(bin, 'podman');
    writeFileSync(
      engine,
      `#!/bin/sh\nif [ "$1" = info ]; then exit 0; fi\nprintf '%s\\n' "$@" > ${join(bin, 'args')}\ntrap 'echo stopped > ${join(bin, 'stopped')}; exit 0' TERM\nwhile :; do sleep 1; done\n`,
    );
    chmodSync(engine, 0o755);
    // This test file runs in its own process: its agent finds the stand-in first.
    process.env.PATH = `${bin}:${process.env.PATH}`;
    fs = await startFlocker();
    const { token } = await fs.server.registry.credentials!.createToken(systemContext, { user: 'system:bootstrap', purpose: 'join', ttlSeconds: 600, description: 'engine test agent' });
    agentDir = tempDir('drover-flocker-agent-');
    agent = await startAgent({ server: fs.url, dataDir: join(agentDir, 'agent'), systemMachineIdFile: '/nonexistent', joinToken: token, logLevel: 'error', heartbeatMs: 500 });
    await until(async () => (await call(fs, 'GET', '/state/nodes')).json().length === 1, 'the agent to be a node');
  });
  after(async () => {
    await agent?.close(true);
    await fs?.close();
    for (const d of [bin, agentDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('runs the image through the engine, reports it running, and stops it when the container is removed', async () => {
    const node = nodeUuid(agent.id);
    const res = await call(fs, 'POST', '/configuration/containers', { body: { node_uuid: node, name: 'app', image: 'busybox:1', environment: { GREETING: 'hi' }, command_line: ['sleep', '60'] } });
    assert.equal(res.status, 201, res.text);
    await until(async () => (await call(fs, 'GET', '/state/containers')).json()[0]?.running === true, 'the container to run', 15_000);
    const task = fs.server.registry.kind<Task>('tasks', 'default').list(systemContext)[0]!;
    const args = await until(() => existsSync(join(bin, 'args')) && readFileSync(join(bin, 'args'), 'utf8').trim().split('\n'), 'the engine to be asked to run');
    assert.deepEqual(args, ['run', '--rm', '--name', `drover-${task.metadata.uid}`, '--env', 'GREETING=hi', 'busybox:1', 'sleep', '60']);
    assert.equal((await call(fs, 'DELETE', '/configuration/containers/app')).status, 200);
    await until(() => existsSync(join(bin, 'stopped')), 'the engine process to be stopped', 15_000);
  });
});
