// fleet's Machine resource: present machines with their labels as metadata, and PATCH of
// metadata with fleet's JSON Patch subset (api/machines.go).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers.js';
import { fleet, readyMachine } from './fleet.js';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

describe('fleet /machines', () => {
  let s: TestServer;
  let f: ReturnType<typeof fleet>;
  before(async () => {
    s = await startTestServer({ controllers: false });
    f = fleet(s.url);
  });
  after(() => s.close());

  test('no machines: {}', async () => {
    const r = await f.get('/machines');
    assert.equal(r.status, 200);
    assert.equal(r.text, '{}');
  });

  test('GET lists present machines: id = name, primaryIP = address, metadata = labels (keys sorted)', async () => {
    await readyMachine(s.client, B, { zone: 'b', region: 'eu' }, '10.0.0.2');
    await readyMachine(s.client, A, {}, '10.0.0.1');
    await s.client.machines.create({ metadata: { name: 'c'.repeat(32) } } as never); // not Ready: not present
    const r = await f.get('/machines');
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.text, `{"machines":[{"id":"${A}","primaryIP":"10.0.0.1"},{"id":"${B}","metadata":{"region":"eu","zone":"b"},"primaryIP":"10.0.0.2"}]}`);
  });

  test('PATCH add/replace/remove edits labels and answers 204', async () => {
    const r = await f.patch('/machines', [
      { op: 'add', path: `/${A}/metadata/role`, value: { value: 'db' } },
      { op: 'replace', path: `/${B}/metadata/zone`, value: { value: 'c' } },
      { op: 'remove', path: `/${B}/metadata/region` },
    ]);
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    assert.deepEqual((await s.client.machines.get(A)).metadata.labels, { role: 'db' });
    assert.deepEqual((await s.client.machines.get(B)).metadata.labels, { zone: 'c' });
  });

  test('PATCH for a machine not registered yet creates it with only that metadata, kept when its agent comes', async () => {
    const id = 'd'.repeat(32);
    assert.equal((await f.patch('/machines', [{ op: 'add', path: `/${id}/metadata/tier`, value: { value: 'gold' } }])).status, 204);
    const m = await s.client.machines.get(id);
    assert.deepEqual(m.metadata.labels, { tier: 'gold' });
    assert.equal((await f.get('/machines')).text.includes(id), false, 'not present until it heartbeats');
    await s.client.machines.replaceStatus(id, { address: '10.0.0.4', conditions: [{ type: 'Ready', status: 'True' }] } as never);
    const listed = (await f.get('/machines')).json().machines.find((x: { id: string }) => x.id === id);
    assert.deepEqual(listed, { id, metadata: { tier: 'gold' }, primaryIP: '10.0.0.4' });
  });

  test('PATCH with a bad op, path or missing value answers 400 and applies nothing', async () => {
    const cases: [unknown, string][] = [
      [[{ op: 'add', path: `/${A}/metadata/ok`, value: { value: 'x' } }, { op: 'move', path: `/${A}/metadata/x`, value: { value: 'y' } }], 'invalid op: expect add, remove, or replace'],
      [[{ op: 'add', path: `/${A}/labels/x`, value: { value: 'y' } }], 'machine metadata path invalid'],
      [[{ op: 'add', path: `/${A}/metadata/bad key`, value: { value: 'y' } }], 'machine metadata path invalid'],
      [[{ op: 'replace', path: `/${A}/metadata/x` }], 'invalid value: add and replace require a value'],
    ];
    for (const [body, message] of cases) {
      const r = await f.patch('/machines', body);
      assert.equal(r.status, 400);
      assert.deepEqual(r.json(), { error: { code: 400, message } });
    }
    assert.deepEqual((await s.client.machines.get(A)).metadata.labels, { role: 'db' }, 'the valid first op was not applied');
  });

  test('PATCH with a value that is not {"value": …} answers 400 with Go\'s decoding error and applies nothing', async () => {
    const valueType = 'struct { Value string "json:\\"value\\"" }';
    const cases: [unknown, string][] = [
      // fleetctl and fleet's own tests send {"value":{"value":"x"}}; a plain string is a type error in Go's decoder.
      [[{ op: 'add', path: `/${A}/metadata/plain`, value: 'x' }], `json: cannot unmarshal string into Go struct field machineMetadataOp.Value of type ${valueType}`],
      [[{ op: 'add', path: `/${A}/metadata/n`, value: 5 }], `json: cannot unmarshal number into Go struct field machineMetadataOp.Value of type ${valueType}`],
      [[{ op: 'add', path: `/${A}/metadata/b`, value: true }], `json: cannot unmarshal bool into Go struct field machineMetadataOp.Value of type ${valueType}`],
      [[{ op: 'add', path: `/${A}/metadata/n`, value: { value: 5 } }], 'json: cannot unmarshal number into Go struct field .Value.value of type string'],
      [[{ op: 7, path: `/${A}/metadata/n`, value: { value: 'x' } }], 'json: cannot unmarshal number into Go struct field machineMetadataOp.op of type string'],
      [['add'], 'json: cannot unmarshal string into Go value of type api.machineMetadataOp'],
      // The first type error in the document wins, even after a valid operation.
      [[{ op: 'add', path: `/${A}/metadata/ok`, value: { value: 'y' } }, { op: 'add', path: `/${A}/metadata/plain`, value: 'x' }], `json: cannot unmarshal string into Go struct field machineMetadataOp.Value of type ${valueType}`],
    ];
    for (const [body, message] of cases) {
      const r = await f.patch('/machines', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual(r.json(), { error: { code: 400, message } }, JSON.stringify(body));
    }
    assert.deepEqual((await s.client.machines.get(A)).metadata.labels, { role: 'db' }, 'nothing was applied');
    // Go matches field names without case: {"Value": {"VALUE": …}} is a value.
    assert.equal((await f.patch('/machines', [{ OP: 'add', Path: `/${A}/metadata/cased`, Value: { VALUE: 'yes' } }])).status, 204);
    assert.equal((await s.client.machines.get(A)).metadata.labels?.cased, 'yes');
  });

  test('other methods answer 405 with fleet\'s message', async () => {
    const r = await f.req('POST', '/machines');
    assert.equal(r.status, 405);
    assert.equal(r.text, '{"error":{"code":405,"message":"only GET and PATCH supported against this resource"}}');
  });
});
