// The endpoints controller over a real server and store: what each service's Endpoints list,
// how fast a readiness change shows, that nothing is rewritten for changes it does not show,
// that users only read them, and that they go with their service.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { EndpointsController } from '../../src/controllers/endpoints.js';
import type { Service, Task } from '../../src/model/index.js';
import { NodeAuthorizer } from '../../src/security/node-authorizer.js';
import { http, startTestServer, until, type TestServer } from '../helpers.js';

const M1 = 'a'.repeat(32);
const M2 = 'b'.repeat(32);

describe('endpoints controller', () => {
  let ts: TestServer;
  let controller: EndpointsController;
  let svc: Service;

  before(async () => {
    // No workload controller: the tasks here are written by hand, as agents and the scheduler would.
    ts = await startTestServer({ controllers: false });
    controller = new EndpointsController(ts.server.state, pino({ level: 'silent' }));
    controller.start();
    const c = ts.client;
    for (const [name, address] of [[M1, '10.0.0.1'], [M2, '10.0.0.2']]) {
      await c.machines.create({ metadata: { name } } as never);
      await c.machines.patchStatus(name, { address });
    }
    svc = await c.services.create({
      metadata: { name: 'web' },
      spec: { replicas: 2, template: { command: ['sleep', '1'], ports: [{ name: 'http' }, { name: 'dns', port: 53, protocol: 'udp' }] }, ingress: [{ port: 30080 }] },
    } as never);
    await c.services.create({ metadata: { name: 'other' }, spec: { template: { command: ['sleep', '1'] } } } as never);
    const task = async (name: string, owner: string, machine: string | undefined, phase: string, port?: number) => {
      const ownerUid = owner === 'web' ? svc.metadata.uid : (await c.services.get(owner)).metadata.uid;
      await c.tasks.create({
        metadata: { name, ownerReferences: [{ kind: 'Service', name: owner, uid: ownerUid, controller: true }] },
        spec: { template: svc.spec.template, ...(machine && { machine }), ...(port && { ports: [{ name: 'http', port, protocol: 'tcp' }, { name: 'dns', port: 53, protocol: 'udp' }] }) },
      } as never);
      await c.tasks.patchStatus(name, { phase } as never);
    };
    await task('web-b', 'web', M2, 'Starting', 20002);
    await task('web-a', 'web', M1, 'Running', 20001);
    await task('web-pending', 'web', undefined, 'Pending');
    await task('web-done', 'web', M1, 'Failed', 20003);
    await task('other-x', 'other', M1, 'Running');
  });

  after(async () => {
    await controller.close();
    await ts.close();
  });

  it("lists every live placed task of the service, by task name, with its machine's address, ports and readiness", async () => {
    const ep = await until(async () => {
      const e = await ts.client.endpoints.get('web').catch(() => undefined);
      return e?.status?.addresses?.length === 2 ? e : undefined;
    }, 'the Endpoints of web with two addresses', 5_000);
    assert.deepEqual(ep.status, {
      addresses: [
        { task: 'web-a', machine: M1, host: '10.0.0.1', ports: { http: 20001, dns: 53 }, ready: true },
        { task: 'web-b', machine: M2, host: '10.0.0.2', ports: { http: 20002, dns: 53 }, ready: false },
      ],
      ports: [
        { name: 'http', protocol: 'tcp' },
        { name: 'dns', protocol: 'udp' },
      ],
      ingress: [{ port: 30080 }],
    });
    assert.deepEqual(ep.metadata.ownerReferences, [{ kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true }]);
    const other = await until(() => ts.client.endpoints.get('other').catch(() => undefined), 'the Endpoints of other', 5_000);
    assert.deepEqual(other.status?.addresses?.map((a) => [a.task, a.ports, a.ready]), [['other-x', {}, true]]);
  });

  it('shows a readiness change within a second, and only rewrites for what it shows', async () => {
    const c = ts.client;
    await c.tasks.patchStatus('web-b', { phase: 'Running' } as never);
    const started = Date.now();
    await until(async () => (await c.endpoints.get('web')).status?.addresses?.every((a) => a.ready), 'both ready', 1_000);
    assert.ok(Date.now() - started < 1_000);
    // The Ready condition (a readiness check failing) takes a running task out.
    await c.tasks.patchStatus('web-a', { conditions: [{ type: 'Ready', status: 'False', reason: 'CheckFailed' }] } as never);
    await until(async () => (await c.endpoints.get('web')).status?.addresses?.find((a) => a.task === 'web-a')?.ready === false, 'web-a not ready', 1_000);

    const before = (await c.endpoints.get('web')).metadata.revision;
    await c.tasks.patchStatus('web-b', { pid: 4242, restarts: 0 } as never); // agents report such things all the time
    await controller.idle();
    assert.equal((await c.endpoints.get('web')).metadata.revision, before);
  });

  it('follows a machine whose address changes', async () => {
    await ts.client.machines.patchStatus(M2, { address: '10.0.0.22' });
    await until(async () => (await ts.client.endpoints.get('web')).status?.addresses?.find((a) => a.task === 'web-b')?.host === '10.0.0.22', 'the new address', 2_000);
  });

  it('is read-only through the API, and comes back when deleted while its service lives', async () => {
    const api = `${ts.url}/api/v1/endpoints`;
    const post = await http(api, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'fake' } }) });
    assert.equal(post.status, 405, post.text);
    const put = await http(`${api}/web`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'web' } }) });
    assert.equal(put.status, 405, put.text);
    const uid = (await ts.client.endpoints.get('web')).metadata.uid;
    await ts.client.endpoints.delete('web');
    const back = await until(() => ts.client.endpoints.get('web').catch(() => undefined), 'the Endpoints of web again', 2_000);
    assert.notEqual(back.metadata.uid, uid);
    assert.equal(back.status?.addresses?.length, 2);
  });

  it('is in the OpenAPI document, read and delete only', async () => {
    const doc = (await http(`${ts.url}/openapi.json`)).json();
    assert.ok(doc.components.schemas.Endpoints, 'the Endpoints schema');
    const collection = doc.paths['/api/v1/namespaces/{namespace}/endpoints'];
    assert.ok(collection?.get, 'list');
    assert.equal(collection.post, undefined, 'no create');
    const status = await http(`${ts.url}/api/v1/endpoints/web/status`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: '{"status":{"addresses":[]}}' });
    assert.equal(status.status, 405, status.text);
  });

  it('is deleted with its service', async () => {
    await ts.client.services.delete('other');
    await until(async () => (await ts.client.endpoints.get('other').catch((e: { code?: number }) => e.code)) === 404, 'the Endpoints of other gone', 2_000);
  });

  it('is readable by agents (their layer 4 listeners), but not writable', () => {
    const nodes = new NodeAuthorizer({ task: () => undefined as Task | undefined, dataset: () => undefined });
    const agent = { name: `system:node:${M1}`, groups: ['system:nodes'] };
    for (const verb of ['get', 'list', 'watch'] as const) assert.equal(nodes.decide(agent as never, { verb, resource: 'endpoints', namespace: 'default' } as never), true, verb);
    for (const verb of ['create', 'update', 'patch', 'delete'] as const) assert.equal(nodes.decide(agent as never, { verb, resource: 'endpoints', namespace: 'default', name: 'web' } as never), false, verb);
  });
});
