// fleet's UnitState resource from Task reports, and a Unit's currentState/machineID from its task.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { unitHash } from '../../src/units/index.js';
import { startTestServer, type TestServer } from '../helpers.js';
import { fleet, readyMachine, reportedTask, sleepUnit } from './fleet.js';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const running = { load: 'loaded', active: 'active', sub: 'running' };
const loaded = { load: 'loaded', active: 'inactive', sub: 'dead' };

describe('fleet /state', () => {
  let s: TestServer;
  let f: ReturnType<typeof fleet>;
  before(async () => {
    s = await startTestServer({ controllers: false });
    f = fleet(s.url);
    await readyMachine(s.client, A);
    await readyMachine(s.client, B);
  });
  after(() => s.close());

  test('no unit states: {}', async () => {
    assert.equal((await f.get('/state')).text, '{}');
  });

  test('a UnitState per reported task, with fleet\'s hash, in name then machine order', async () => {
    await f.put('/units/web.service', { desiredState: 'launched', options: sleepUnit() });
    await f.put('/units/db.service', { desiredState: 'loaded', options: sleepUnit('/bin/sleep 1') });
    await reportedTask(s.client, 'web.service', A, running);
    await reportedTask(s.client, 'db.service', B, loaded, 'Stopped');
    const r = await f.get('/state');
    assert.equal(r.status, 200);
    assert.equal(
      r.text,
      `{"states":[` +
        `{"hash":"${unitHash(sleepUnit('/bin/sleep 1'))}","machineID":"${B}","name":"db.service","systemdActiveState":"inactive","systemdLoadState":"loaded","systemdSubState":"dead"},` +
        `{"hash":"${unitHash(sleepUnit())}","machineID":"${A}","name":"web.service","systemdActiveState":"active","systemdLoadState":"loaded","systemdSubState":"running"}]}`,
    );
  });

  test('?machineID= and ?unitName= filter', async () => {
    assert.deepEqual((await f.get(`/state?machineID=${A}`)).json().states.map((x: { name: string }) => x.name), ['web.service']);
    assert.deepEqual((await f.get('/state?unitName=db.service')).json().states.map((x: { machineID: string }) => x.machineID), [B]);
    assert.equal((await f.get('/state?unitName=none.service')).text, '{}');
  });

  test('GET /state/{name} answers one UnitState, or 404', async () => {
    const r = await f.get('/state/web.service');
    assert.equal(r.status, 200);
    assert.equal(r.json().machineID, A);
    const missing = await f.get('/state/none.service');
    assert.equal(missing.status, 404);
    assert.equal(missing.text, '{"error":{"code":404,"message":"unit state does not exist"}}');
  });

  test('a unit shows currentState launched/loaded and its machineID from its task', async () => {
    const web = (await f.get('/units/web.service')).json();
    assert.equal(web.currentState, 'launched');
    assert.equal(web.machineID, A);
    const db = (await f.get('/units/db.service')).json();
    assert.equal(db.currentState, 'loaded');
    assert.equal(db.machineID, B);
  });

  test('after DELETE the unit\'s states are gone at once', async () => {
    assert.equal((await f.del('/units/web.service')).status, 204);
    assert.equal((await f.get('/state?unitName=web.service')).text, '{}');
    assert.equal((await f.get('/state/web.service')).status, 404);
  });

  test('templates never appear in /state', async () => {
    await f.put('/units/t@.service', { desiredState: 'inactive', options: sleepUnit() });
    assert.equal((await f.get('/state')).text.includes('t@.service'), false);
  });
});
