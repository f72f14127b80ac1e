// The dataset routes of the Flocker façade, over real TLS with a real user certificate.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from '../../../src/model/index.js';
import { systemContext } from '../../../src/registry/index.js';
import { call, MACHINE_A, MACHINE_B, NODE_A, NODE_B, readyMachine, startFlocker, type FlockerServer } from './flocker.js';

const SCHEMA = "The provided JSON doesn't match the required schema.";

describe('Flocker datasets', () => {
  let fs: FlockerServer;
  before(async () => {
    fs = await startFlocker();
    await readyMachine(fs, MACHINE_A, '10.0.0.1');
    await readyMachine(fs, MACHINE_B, '10.0.0.2');
  });
  after(() => fs.close());

  const native = (name: string) => fs.server.registry.kind<Dataset>('datasets', 'default').find(systemContext, name);

  it('GET /version answers the Flocker version', async () => {
    const res = await call(fs, 'GET', '/version');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(res.json(), { flocker: '1.15.0' });
  });

  it('POST creates a dataset with a generated lowercase v4 id, named after it natively', async () => {
    const res = await call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_A, metadata: { name: 'db' }, maximum_size: 67108864, deleted: false } });
    assert.equal(res.status, 201, res.text);
    const body = res.json();
    assert.match(body.dataset_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(body, { dataset_id: body.dataset_id, deleted: false, primary: NODE_A, metadata: { name: 'db' }, maximum_size: 67108864 });
    const ds = await native(body.dataset_id);
    assert.equal(ds?.spec.primary, MACHINE_A);
    assert.equal(ds?.spec.maximumSize, 67108864);
  });

  it('a given dataset_id is lowercased, and reusing it in any case answers 409', async () => {
    const id = 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE';
    const res = await call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_A, dataset_id: id } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json().dataset_id, id.toLowerCase());
    assert.deepEqual(res.json().metadata, {});
    for (const again of [id, id.toLowerCase()]) {
      const dup = await call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_B, dataset_id: again } });
      assert.equal(dup.status, 409);
      assert.deepEqual(dup.json(), { description: 'The provided dataset_id is already in use.' });
    }
    assert.equal((await native(id.toLowerCase()))?.spec.primary, MACHINE_A, 'the refused create changed nothing');
  });

  it('an unknown primary answers 400 with Flocker\'s description and creates nothing', async () => {
    const before = (await call(fs, 'GET', '/configuration/datasets')).json().length;
    const res = await call(fs, 'POST', '/configuration/datasets', { body: { primary: '11111111-2222-4333-8444-555555555555' } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json(), { description: 'The provided primary node is not part of the cluster.' });
    assert.equal((await call(fs, 'GET', '/configuration/datasets')).json().length, before);
  });

  const schemaCases: [string, unknown, string[]][] = [
    ['no primary', {}, ["'primary' is a required property"]],
    ['an unknown property', { primary: NODE_A, junk: 'garbage' }, ["Additional properties are not allowed (u'junk' was unexpected)"]],
    ['a version 1 dataset_id', { primary: NODE_A, dataset_id: 'aaaaaaaa-bbbb-1ccc-8ddd-eeeeeeeeeeee' }, ["u'aaaaaaaa-bbbb-1ccc-8ddd-eeeeeeeeeeee' does not match '^[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-4[A-Fa-f0-9]{3}-[89abAB][A-Fa-f0-9]{3}-[A-Fa-f0-9]{12}$'"]],
    ['a size under 64 MiB', { primary: NODE_A, maximum_size: 1024 }, ['1024 is less than the minimum of 67108864']],
    ['a size not a multiple of 1024', { primary: NODE_A, maximum_size: 67108865 }, ['67108865 is not a multiple of 1024']],
    ['a string size', { primary: NODE_A, maximum_size: 'big' }, ["u'big' is not of type 'integer', 'null'"]],
    ['17 metadata entries', { primary: NODE_A, metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, []],
    ['a metadata value of 257 characters', { primary: NODE_A, metadata: { name: 'x'.repeat(257) } }, [`u'${'x'.repeat(257)}' is too long`]],
    ['a metadata value that is no string', { primary: NODE_A, metadata: { name: 5 } }, ["5 is not of type 'string'"]],
  ];
  for (const [what, body, errors] of schemaCases) {
    it(`POST with ${what} answers 400 with the schema errors`, async () => {
      const res = await call(fs, 'POST', '/configuration/datasets', { body });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json().description, SCHEMA);
      if (errors.length) assert.deepEqual(res.json().errors, errors);
      else assert.match(res.json().errors[0], / has too many properties$/);
    });
  }

  it('an undecodable body answers 400 with Flocker\'s description', async () => {
    const res = await call(fs, 'POST', '/configuration/datasets', { body: '{not json' });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json(), { description: 'The request body could not be decoded according to the value of the\nContent-Type header.' });
  });

  it('POST /configuration/datasets/{id} moves the dataset; an unknown id answers 404', async () => {
    const created = (await call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_A } })).json();
    const res = await call(fs, 'POST', `/configuration/datasets/${created.dataset_id}`, { body: { primary: NODE_B } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json(), { ...created, primary: NODE_B });
    assert.equal((await native(created.dataset_id))?.spec.primary, MACHINE_B);
    const missing = await call(fs, 'POST', '/configuration/datasets/99999999-9999-4999-8999-999999999999', { body: { primary: NODE_B } });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), { description: 'Dataset not found.' });
  });

  it('DELETE is idempotent, the dataset stays listed as deleted, and updating it answers 405', async () => {
    const created = (await call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_A } })).json();
    for (let i = 0; i < 2; i++) {
      const res = await call(fs, 'DELETE', `/configuration/datasets/${created.dataset_id}`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json(), { ...created, deleted: true });
    }
    const listed = (await call(fs, 'GET', '/configuration/datasets')).json().find((d: { dataset_id: string }) => d.dataset_id === created.dataset_id);
    assert.equal(listed.deleted, true);
    const update = await call(fs, 'POST', `/configuration/datasets/${created.dataset_id}`, { body: { primary: NODE_B } });
    assert.equal(update.status, 405);
    assert.deepEqual(update.json(), { description: 'The dataset has been deleted.' });
    const reuse = await call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_A, dataset_id: created.dataset_id } });
    assert.equal(reuse.status, 409, 'a deleted dataset\'s id is never reused');
    const missing = await call(fs, 'DELETE', '/configuration/datasets/99999999-9999-4999-8999-999999999999');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), { description: 'Dataset not found.' });
  });

  it('GET /state/datasets shows what an agent reported: node, path and size', async () => {
    const created = (await call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_A, maximum_size: 67108864 } })).json();
    const absent = (await call(fs, 'GET', '/state/datasets')).json();
    assert.ok(!absent.some((d: { dataset_id: string }) => d.dataset_id === created.dataset_id), 'not in state before an agent holds it');
    await fs.server.registry.kind('datasets', 'default').replaceStatus(systemContext, created.dataset_id, { status: { phase: 'Ready', machine: MACHINE_A, path: '/var/lib/drover/datasets/x' } });
    const state = (await call(fs, 'GET', '/state/datasets')).json().find((d: { dataset_id: string }) => d.dataset_id === created.dataset_id);
    assert.deepEqual(state, { dataset_id: created.dataset_id, primary: NODE_A, path: '/var/lib/drover/datasets/x', maximum_size: 67108864 });
  });
});
