// Nodes (state/nodes, by_era) and leases (acquire, renew, release, expiry) of the Flocker façade.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Lease } from '../../../src/model/index.js';
import { systemContext } from '../../../src/registry/index.js';
import { until } from '../../helpers.js';
import { call, MACHINE_A, MACHINE_B, NODE_A, NODE_B, readyMachine, startFlocker, type FlockerServer } from './flocker.js';

describe('Flocker nodes and leases', () => {
  let fs: FlockerServer;
  const eraA = randomUUID();
  before(async () => {
    fs = await startFlocker();
    await readyMachine(fs, MACHINE_A, '10.0.0.1', eraA);
    await readyMachine(fs, MACHINE_B, '10.0.0.2');
    // Registered but its agent is gone: not a node of the cluster state.
    await fs.server.registry.kind('machines').create(systemContext, { metadata: { name: 'aaaabbbbccccddddeeeeffff00001111' } });
  });
  after(() => fs.close());

  it('GET /state/nodes lists the connected machines with their address and stable v4 node UUID', async () => {
    const res = await call(fs, 'GET', '/state/nodes');
    assert.equal(res.status, 200);
    const nodes = res.json().sort((a: { host: string }, b: { host: string }) => a.host.localeCompare(b.host));
    assert.deepEqual(nodes, [
      { host: '10.0.0.1', uuid: NODE_A },
      { host: '10.0.0.2', uuid: NODE_B },
    ]);
  });

  it('GET /state/nodes/by_era/{era} finds the node; an unknown era answers 404', async () => {
    const res = await call(fs, 'GET', `/state/nodes/by_era/${eraA}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { uuid: NODE_A });
    const unknown = await call(fs, 'GET', `/state/nodes/by_era/${randomUUID()}`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.json(), { description: 'No node found with given era.' });
  });

  it('a restarted agent (a new era) is found by the new era only', async () => {
    const eraB1 = randomUUID();
    const eraB2 = randomUUID();
    const machines = fs.server.registry.kind('machines');
    // As a restarted agent writes it: the same machine, a new era.
    const setEra = (era: string) =>
      machines.replaceStatus(systemContext, MACHINE_B, { status: { address: '10.0.0.2', era, conditions: [{ type: 'Ready', status: 'True', reason: 'HeartbeatReceived' }] } });
    await setEra(eraB1);
    assert.deepEqual((await call(fs, 'GET', `/state/nodes/by_era/${eraB1}`)).json(), { uuid: NODE_B });
    await setEra(eraB2);
    assert.equal((await call(fs, 'GET', `/state/nodes/by_era/${eraB1}`)).status, 404);
    assert.deepEqual((await call(fs, 'GET', `/state/nodes/by_era/${eraB2}`)).json(), { uuid: NODE_B });
  });

  it('a lease is acquired (201), renewed (200), refused to another node (409), listed and released', async () => {
    const ds = (await call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_A } })).json();
    const acquired = await call(fs, 'POST', '/configuration/leases', { body: { dataset_id: ds.dataset_id, node_uuid: NODE_A, expires: null } });
    assert.equal(acquired.status, 201, acquired.text);
    assert.deepEqual(acquired.json(), { dataset_id: ds.dataset_id, node_uuid: NODE_A, expires: null });
    const lease = await fs.server.registry.kind<Lease>('leases', 'default').find(systemContext, ds.dataset_id);
    assert.deepEqual(lease?.spec, { dataset: ds.dataset_id, machine: MACHINE_A, expiresAt: null });

    const renewed = await call(fs, 'POST', '/configuration/leases', { body: { dataset_id: ds.dataset_id, node_uuid: NODE_A, expires: 3600 } });
    assert.equal(renewed.status, 200);
    assert.ok(renewed.json().expires > 3590 && renewed.json().expires <= 3600, String(renewed.json().expires));

    const held = await call(fs, 'POST', '/configuration/leases', { body: { dataset_id: ds.dataset_id, node_uuid: NODE_B, expires: null } });
    assert.equal(held.status, 409);
    assert.deepEqual(held.json(), { description: 'Lease already held.' });

    const listed = (await call(fs, 'GET', '/configuration/leases')).json();
    assert.deepEqual(listed.map((l: { dataset_id: string; node_uuid: string }) => [l.dataset_id, l.node_uuid]), [[ds.dataset_id, NODE_A]]);

    const released = await call(fs, 'DELETE', `/configuration/leases/${ds.dataset_id}`);
    assert.equal(released.status, 200);
    assert.equal(released.json().node_uuid, NODE_A);
    const again = await call(fs, 'DELETE', `/configuration/leases/${ds.dataset_id}`);
    assert.equal(again.status, 404);
    assert.deepEqual(again.json(), { description: 'Lease not found.' });
    assert.deepEqual((await call(fs, 'GET', '/configuration/leases')).json(), []);
  });

  it('a lease body breaking the schema answers 400 with the errors', async () => {
    const res = await call(fs, 'POST', '/configuration/leases', { body: { dataset_id: 'short', node_uuid: NODE_A } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json().errors, ["u'short' is too short", "'expires' is a required property"]);
  });

  it('a lapsed lease is deleted by the expiry sweep within a few seconds', async () => {
    const ds = (await call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_A } })).json();
    const res = await call(fs, 'POST', '/configuration/leases', { body: { dataset_id: ds.dataset_id, node_uuid: NODE_A, expires: 0.5 } });
    assert.equal(res.status, 201);
    await until(async () => (await call(fs, 'GET', '/configuration/leases')).json().every((l: { dataset_id: string }) => l.dataset_id !== ds.dataset_id), 'the lapsed lease to be deleted', 5_000);
    // Another node may take it now.
    assert.equal((await call(fs, 'POST', '/configuration/leases', { body: { dataset_id: ds.dataset_id, node_uuid: NODE_B, expires: null } })).status, 201);
  });
});
