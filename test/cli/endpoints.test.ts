// `drover get endpoints`, `describe service` (ports and endpoints, ready or not) and `describe
// task` (allocated ports and where they answer), against a real server whose tasks are written
// the way the scheduler and agents write them; the endpoints controller fills the Endpoints.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { EndpointsController } from '../../src/controllers/endpoints.js';
import { startTestServer, until, type TestServer } from '../helpers.js';
import { cli } from './drover.js';

const M1 = 'aaaaaaaa000000000000000000000001';
const M2 = 'bbbbbbbb000000000000000000000002';

describe('drover and endpoints', () => {
  let server: TestServer;
  let controller: EndpointsController;
  let d: ReturnType<typeof cli>;
  before(async () => {
    server = await startTestServer({ controllers: false });
    controller = new EndpointsController(server.server.state, pino({ level: 'silent' }));
    controller.start();
    d = cli(server.url);
    const c = server.client;
    for (const [name, address] of [[M1, '10.0.0.1'], [M2, '10.0.0.2']]) {
      await c.machines.create({ metadata: { name } });
      await c.machines.patchStatus(name, { address });
    }
    const template = { command: ['sleep', '1'], ports: [{ name: 'http' }, { name: 'metrics', port: 9100 }] };
    const svc = await c.services.create({ metadata: { name: 'web' }, spec: { replicas: 2, template } });
    for (const [name, machine, port, phase] of [['web-a', M1, 20001, 'Running'], ['web-b', M2, 20002, 'Starting']] as const) {
      await c.tasks.create({
        metadata: { name, ownerReferences: [{ kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true }] },
        spec: { machine, template, ports: [{ name: 'http', port, protocol: 'tcp' }, { name: 'metrics', port: 9100, protocol: 'tcp' }] },
      });
      const address = machine === M1 ? '10.0.0.1' : '10.0.0.2';
      await c.tasks.patchStatus(name, { phase, ...(phase === 'Running' ? { ports: [{ name: 'http', port, protocol: 'tcp', address: `${address}:${port}` }] } : {}) });
    }
    await until(async () => (await c.endpoints.find('web'))?.status?.addresses?.length === 2, 'the Endpoints of web', 5_000);
  });
  after(async () => {
    await controller.close();
    await server.close();
  });

  it('get endpoints: NAME, READY as ready/all, and the ready addresses as host:port', async () => {
    const lines = (await d.ok(['get', 'endpoints'])).trim().split('\n').map((l) => l.split(/\s{2,}/));
    assert.deepEqual(lines[0], ['NAME', 'READY', 'ADDRESSES', 'AGE']);
    assert.deepEqual(lines[1].slice(0, 3), ['web', '1/2', '10.0.0.1:20001,10.0.0.1:9100']);
    // The short name works too.
    assert.match(await d.ok(['get', 'ep', 'web']), /web\s+1\/2/);
  });

  it('describe service: its ports, and every endpoint with its readiness', async () => {
    const out = await d.ok(['describe', 'service', 'web']);
    assert.match(out, /Ports:\s+http \(dynamic, tcp\), metrics 9100\/tcp/);
    assert.match(out, /Endpoints:\s+1\/2 ready/);
    assert.match(out, /web-a\s+true\s+10\.0\.0\.1:20001,10\.0\.0\.1:9100\s+aaaaaaaa/);
    assert.match(out, /web-b\s+false\s+10\.0\.0\.2:20002,10\.0\.0\.2:9100\s+bbbbbbbb/);
  });

  it('describe task: the allocated ports, and where they answer once running', async () => {
    assert.match(await d.ok(['describe', 'task', 'web-a']), /Ports:\s+http 20001\/tcp at 10\.0\.0\.1:20001, metrics 9100\/tcp/);
    assert.match(await d.ok(['describe', 'task', 'web-b']), /Ports:\s+http 20002\/tcp, metrics 9100\/tcp/);
  });
});
