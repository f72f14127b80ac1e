// Containers (configuration and state) and flocker-deploy's _compose, over native Services.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Service, Task } from '../../../src/model/index.js';
import { systemContext } from '../../../src/registry/index.js';
import { until } from '../../helpers.js';
import { call, MACHINE_A, MACHINE_B, NODE_A, NODE_B, readyMachine, startFlocker, type FlockerServer } from './flocker.js';

describe('Flocker containers', () => {
  let fs: FlockerServer;
  before(async () => {
    fs = await startFlocker();
    await readyMachine(fs, MACHINE_A, '10.0.0.1');
    await readyMachine(fs, MACHINE_B, '10.0.0.2');
  });
  after(() => fs.close());

  const services = () => fs.server.registry.kind<Service>('services', 'default');
  const tasksOf = (svc: string) => fs.server.registry.kind<Task>('tasks', 'default').list(systemContext).filter((t) => t.metadata.ownerReferences?.some((o) => o.name === svc));

  it('POST creates a pinned Service running the image; GET lists it as Flocker shows it', async () => {
    const body = { node_uuid: NODE_A, name: 'web', image: 'nginx', ports: [{ internal: 80, external: 8080 }], environment: { A: 'b' }, command_line: ['-g', 'daemon off;'], cpu_shares: 512 };
    const res = await call(fs, 'POST', '/configuration/containers', { body });
    assert.equal(res.status, 201, res.text);
    const expected = { ...body, image: 'nginx:latest', restart_policy: { name: 'never' } };
    assert.deepEqual(res.json(), expected);
    const svc = await services().find(systemContext, 'web');
    assert.equal(svc?.spec.template.image, 'nginx');
    assert.equal(svc?.spec.template.driver, 'container');
    assert.deepEqual(svc?.spec.template.args, ['-g', 'daemon off;']);
    assert.equal(svc?.spec.constraints?.machine, MACHINE_A);
    assert.deepEqual((await call(fs, 'GET', '/configuration/containers')).json(), [expected]);
  });

  it('refuses a taken name (409), a taken external port (409), and a body breaking the schema (400)', async () => {
    const dup = await call(fs, 'POST', '/configuration/containers', { body: { node_uuid: NODE_B, name: 'web', image: 'busybox' } });
    assert.equal(dup.status, 409);
    assert.deepEqual(dup.json(), { description: 'The container name already exists.' });
    const port = await call(fs, 'POST', '/configuration/containers', { body: { node_uuid: NODE_B, name: 'web2', image: 'busybox', ports: [{ internal: 1, external: 8080 }] } });
    assert.equal(port.status, 409);
    assert.deepEqual(port.json(), { description: 'A specified external port is already in use.' });
    const bad = await call(fs, 'POST', '/configuration/containers', { body: { node_uuid: NODE_B, name: 'web3', image: 'busybox', junk: 1 } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json().errors, ["Additional properties are not allowed (u'junk' was unexpected)"]);
    assert.equal(await services().find(systemContext, 'web2'), undefined);
  });

  it('GET /state/containers reports the task where it is bound, running once its agent says so', async () => {
    const task = await until(() => tasksOf('web').find((t) => t.spec.machine === MACHINE_A), 'the task of web bound to machine A');
    const before = (await call(fs, 'GET', '/state/containers')).json();
    assert.deepEqual(before.map((c: { name: string; running: boolean; node_uuid: string }) => [c.name, c.node_uuid, c.running]), [['web', NODE_A, false]]);
    await fs.server.registry.kind('tasks', 'default').replaceStatus(systemContext, task.metadata.name, { status: { phase: 'Running', pid: 42 } });
    const after = (await call(fs, 'GET', '/state/containers')).json();
    assert.equal(after[0].running, true);
  });

  it('POST /configuration/containers/{name} moves it to another node; unknown names answer 404', async () => {
    const res = await call(fs, 'POST', '/configuration/containers/web', { body: { node_uuid: NODE_B } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json().node_uuid, NODE_B);
    assert.equal((await services().find(systemContext, 'web'))?.spec.constraints?.machine, MACHINE_B);
    await until(() => tasksOf('web').some((t) => t.spec.machine === MACHINE_B), 'a task of web on machine B');
    const missing = await call(fs, 'POST', '/configuration/containers/nope', { body: { node_uuid: NODE_B } });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), { description: 'Container not found.' });
  });

  it('DELETE removes the container; again answers 404', async () => {
    const res = await call(fs, 'DELETE', '/configuration/containers/web');
    assert.equal(res.status, 200);
    assert.equal(res.text, 'null');
    assert.equal(await services().find(systemContext, 'web'), undefined);
    const again = await call(fs, 'DELETE', '/configuration/containers/web');
    assert.equal(again.status, 404);
    assert.deepEqual(again.json(), { description: 'Container not found.' });
  });

  it('a volume must be a live dataset on the container\'s node', async () => {
    const ds = (await call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_A } })).json();
    const elsewhere = await call(fs, 'POST', '/configuration/containers', { body: { node_uuid: NODE_B, name: 'db', image: 'postgres', volumes: [{ dataset_id: ds.dataset_id, mountpoint: '/data' }] } });
    assert.equal(elsewhere.status, 409);
    assert.deepEqual(elsewhere.json(), { description: 'The dataset is on another node.' });
    const ok = await call(fs, 'POST', '/configuration/containers', { body: { node_uuid: NODE_A, name: 'db', image: 'postgres', volumes: [{ dataset_id: ds.dataset_id, mountpoint: '/data' }] } });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual((await services().find(systemContext, 'db'))?.spec.template.volumes, [{ dataset: ds.dataset_id, path: '/data' }]);
    const inUse = await call(fs, 'POST', '/configuration/containers', { body: { node_uuid: NODE_A, name: 'db2', image: 'postgres', volumes: [{ dataset_id: ds.dataset_id, mountpoint: '/data' }] } });
    assert.equal(inUse.status, 409);
    assert.deepEqual(inUse.json(), { description: 'The dataset is being used by another container.' });
    assert.equal((await call(fs, 'DELETE', '/configuration/containers/db')).status, 200);
  });

  it('_compose replaces the container configuration with a Flocker-format file', async () => {
    await call(fs, 'POST', '/configuration/containers', { body: { node_uuid: NODE_A, name: 'old', image: 'busybox' } });
    const applications = { version: 1, applications: { redis: { image: 'redis:6', environment: { MODE: 'x' } }, cache: { image: 'memcached' } } };
    const deployment = { version: 1, nodes: { '10.0.0.1': ['redis'], '10.0.0.2': ['cache'] } };
    const res = await call(fs, 'POST', '/configuration/_compose', { body: { applications, deployment } });
    assert.equal(res.status, 200, res.text);
    const listed = (await call(fs, 'GET', '/configuration/containers')).json();
    assert.deepEqual(
      listed.map((c: { name: string; node_uuid: string; image: string }) => [c.name, c.node_uuid, c.image]),
      [
        ['cache', NODE_B, 'memcached:latest'],
        ['redis', NODE_A, 'redis:6'],
      ],
    );
    assert.equal(await services().find(systemContext, 'old'), undefined, 'a container the file does not name is removed');
  });

  it('_compose accepts Fig files and refuses bad ones with Flocker\'s messages', async () => {
    const fig = await call(fs, 'POST', '/configuration/_compose', { body: { applications: { web: { image: 'nginx', ports: ['8080:80'] } }, deployment: { version: 1, nodes: { '10.0.0.2': ['web'] } } } });
    assert.equal(fig.status, 200, fig.text);
    assert.deepEqual((await call(fs, 'GET', '/configuration/containers')).json().map((c: { name: string; ports?: unknown }) => [c.name, c.ports]), [['web', [{ internal: 80, external: 8080 }]]]);
    const cases: [unknown, unknown, string][] = [
      [{ version: 1, applications: {} }, { version: 1 }, "Deployment configuration has an error. Missing 'nodes' key."],
      [{ applications: {} }, { version: 1, nodes: {} }, "Application configuration has an error. Missing 'version' key."],
      [{ version: 1, applications: { a: { image: 'x', bogus: 1 } } }, { version: 1, nodes: {} }, "Application 'a' has a config error. Unrecognised keys: bogus."],
      [{ version: 1, applications: { a: { image: 'x' } } }, { version: 1, nodes: { 'node-1': ['a'] } }, 'Node "node-1" specified, but deployment configuration expects an IPv4 address.'],
      [{ version: 1, applications: { a: { image: 'x', volume: { mountpoint: '/d' } } } }, { version: 1, nodes: {} }, "Application 'a' has a config error. Not supported here: volume; create datasets and attach them with POST /v1/configuration/containers instead."],
      [{ version: 1, applications: { a: { image: 'x' } } }, { version: 1, nodes: { '10.9.9.9': ['a'] } }, 'No known node with address 10.9.9.9.'],
    ];
    for (const [applications, deployment, description] of cases) {
      const res = await call(fs, 'POST', '/configuration/_compose', { body: { applications, deployment } });
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(res.json(), { description });
    }
    assert.deepEqual((await call(fs, 'GET', '/configuration/containers')).json().map((c: { name: string }) => c.name), ['web'], 'a refused file changes nothing');
  });
});
