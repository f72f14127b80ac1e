// The fleet façade maps to one namespace (drover server --fleet-namespace): fleet's units are
// that namespace's services, created there, listed from there only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers.js';
import { fleet, sleepUnit } from './fleet.js';

describe('fleet in a namespace of its own', () => {
  let s: TestServer;
  let f: ReturnType<typeof fleet>;
  before(async () => {
    s = await startTestServer({ controllers: false, facadeNamespace: 'fleet' });
    f = fleet(s.url);
  });
  after(async () => {
    await s.close();
  });

  test('a unit PUT through fleet is a service of that namespace; a namesake in "default" is not fleet\'s', async () => {
    await s.client.services.create({ metadata: { name: 'other.service' }, spec: { template: { unit: sleepUnit() } } });
    const r = await f.put('/units/web.service', { desiredState: 'loaded', options: sleepUnit() });
    assert.equal(r.status, 201, r.text);
    const svc = await s.client.resource('services', 'fleet').get('web.service');
    assert.equal(svc.metadata.namespace, 'fleet');
    assert.equal(await s.client.services.find('web.service'), undefined);
    const units = (await f.get('/units')).json().units.map((u: { name: string }) => u.name);
    assert.deepEqual(units, ['web.service']);
  });
});
