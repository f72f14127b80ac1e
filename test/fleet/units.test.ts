// fleet's Unit resource: PUT rules of fleet's api/units.go set(), GET, DELETE, pagination and the
// mapping onto native Services, checked over HTTP.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers.js';
import { fleet, sleepUnit } from './fleet.js';

describe('fleet /units', () => {
  let s: TestServer;
  let f: ReturnType<typeof fleet>;
  before(async () => {
    s = await startTestServer({ controllers: false });
    f = fleet(s.url);
  });
  after(() => s.close());

  test('an empty collection is {} as fleet serialises it', async () => {
    const r = await f.get('/units');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.text, '{}');
  });

  test('PUT creating a unit answers 201 with no body, and GET shows it in fleet field order', async () => {
    const r = await f.put('/units/create.service', { desiredState: 'loaded', options: sleepUnit() });
    assert.equal(r.status, 201);
    assert.equal(r.text, '');
    const g = await f.get('/units/create.service');
    assert.equal(g.status, 200);
    assert.equal(
      g.text,
      '{"currentState":"inactive","desiredState":"loaded","name":"create.service","options":[{"name":"ExecStart","section":"Service","value":"/bin/sleep 3000"}]}',
    );
  });

  test('a unit is a native Service with the unit options as its template', async () => {
    await f.put('/units/native.service', { desiredState: 'launched', options: sleepUnit() });
    const svc = await s.client.services.get('native.service');
    assert.deepEqual(svc.spec.template.unit, [{ section: 'Service', name: 'ExecStart', value: '/bin/sleep 3000' }]);
    assert.equal(svc.spec.template.driver, 'unit');
    assert.equal(svc.spec.desiredState, 'running');
    assert.equal(svc.spec.replicas, 1);
  });

  test('a Service created natively with unit options is a fleet unit', async () => {
    await s.client.services.create({
      metadata: { name: 'from-native.service' },
      spec: { desiredState: 'loaded', template: { unit: sleepUnit('/bin/true') } },
    } as never);
    const g = await f.get('/units/from-native.service');
    assert.equal(g.status, 200);
    assert.equal(g.json().desiredState, 'loaded');
    assert.deepEqual(g.json().options, [{ name: 'ExecStart', section: 'Service', value: '/bin/true' }]);
  });

  test('PUT with desiredState only on an existing unit answers 204 and changes the native desired state', async () => {
    await f.put('/units/state.service', { desiredState: 'inactive', options: sleepUnit() });
    for (const [fleetState, native] of [['launched', 'running'], ['loaded', 'loaded'], ['inactive', 'inactive']] as const) {
      const r = await f.put('/units/state.service', { desiredState: fleetState });
      assert.equal(r.status, 204);
      assert.equal(r.text, '');
      assert.equal((await s.client.services.get('state.service')).spec.desiredState, native);
      assert.equal((await f.get('/units/state.service')).json().desiredState, fleetState);
    }
  });

  test('PUT with identical options answers 204; with different options (another hash) 201 and replaces them', async () => {
    await f.put('/units/hash.service', { desiredState: 'loaded', options: sleepUnit('/bin/sleep 1') });
    assert.equal((await f.put('/units/hash.service', { desiredState: 'launched', options: sleepUnit('/bin/sleep 1') })).status, 204);
    assert.equal((await f.get('/units/hash.service')).json().desiredState, 'launched');
    assert.equal((await f.put('/units/hash.service', { desiredState: 'launched', options: sleepUnit('/bin/sleep 2') })).status, 201);
    assert.equal((await f.get('/units/hash.service')).json().options[0].value, '/bin/sleep 2');
  });

  test('PUT creating without options answers 409 and creates nothing', async () => {
    const r = await f.put('/units/nothing.service', { desiredState: 'launched' });
    assert.equal(r.status, 409);
    assert.equal(r.text, '{"error":{"code":409,"message":"unit does not exist and options field empty"}}');
    assert.equal((await f.get('/units/nothing.service')).status, 404);
  });

  test('PUT on an existing unit without desiredState answers 409', async () => {
    await f.put('/units/nods.service', { desiredState: 'loaded', options: sleepUnit() });
    const r = await f.put('/units/nods.service', {});
    assert.equal(r.status, 409);
    assert.equal(r.json().error.message, 'must provide DesiredState to update existing unit');
  });

  test('PUT with bad names, bad options, bad desiredState or a name mismatch answers 400 and changes nothing', async () => {
    const cases: [string, unknown, string][] = [
      ['/units/noext', { desiredState: 'launched', options: sleepUnit() }, 'unit name must contain "."'],
      ['/units/foo.bogus', { desiredState: 'launched', options: sleepUnit() }, 'invalid unit type: "bogus"'],
      ['/units/@x.service', { desiredState: 'launched', options: sleepUnit() }, 'unit name cannot start in "@"'],
      ['/units/a.service', { name: 'b.service', desiredState: 'launched', options: sleepUnit() }, 'name in URL "a.service" differs from unit name in request body "b.service"'],
      [
        '/units/bad.service',
        { desiredState: 'launched', options: [...sleepUnit(), { section: 'X-Fleet', name: 'Global', value: 'true' }, { section: 'X-Fleet', name: 'MachineID', value: 'abc' }] },
        'MachineID cannot be used with Global',
      ],
      ['/units/state-bad.service', { desiredState: 'running', options: sleepUnit() }, 'invalid value "running" for JobState'],
      ['/units/num.service', { desiredState: 5 }, 'unable to decode body: json: cannot unmarshal number into Go struct field Unit.desiredState of type string'],
      ['/units/junk.service', '{nope', "unable to decode body: invalid character 'n' looking for beginning of object key string"],
    ];
    for (const [path, body, message] of cases) {
      const r = await f.put(path, body);
      assert.equal(r.status, 400, path);
      assert.deepEqual(r.json(), { error: { code: 400, message } }, path);
    }
    assert.equal((await f.get('/units')).text.includes('bad.service'), false);
    assert.equal(await s.client.services.find('state-bad.service'), undefined);
  });

  test('PUT answers 415 unless there is exactly one Content-Type header and it is application/json', async () => {
    const body = JSON.stringify({ desiredState: 'launched', options: sleepUnit() });
    const r1 = await f.put('/units/ct.service', body, { 'content-type': 'text/plain' });
    assert.equal(r1.status, 415);
    assert.equal(r1.text, '{"error":{"code":415,"message":"only acceptable Content-Type is application/json"}}');
    const r2 = await f.put('/units/ct.service', body, { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(r2.status, 201, 'parameters after ";" are allowed');
    // Two Content-Type headers: only a raw socket sends that.
    const raw = await rawRequest(s.url, `PUT /fleet/v1/units/ct2.service HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    assert.match(raw, /^HTTP\/1.1 415/);
    assert.match(raw, /expected 1 Content-Type, got 2/);
    const none = await rawRequest(s.url, `PUT /fleet/v1/units/ct2.service HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    assert.match(none, /expected 1 Content-Type, got 0/);
    assert.equal((await f.get('/units/ct2.service')).status, 404);
  });

  test('templates: foo@.service is stored inactive, cannot be activated, and %40 means @', async () => {
    assert.equal((await f.put('/units/tpl%40.service', { desiredState: 'inactive', options: sleepUnit('/bin/sleep %i') })).status, 201);
    const r = await f.put('/units/tpl@.service', { desiredState: 'launched' });
    assert.equal(r.status, 400);
    assert.equal(r.json().error.message, 'cannot activate template "tpl@.service"');
    assert.equal((await f.get('/units/tpl%40.service')).json().name, 'tpl@.service');
    assert.equal((await s.client.services.get('tpl@.service')).spec.desiredState, 'inactive');
    assert.equal((await f.put('/units/tpl@7.service', { desiredState: 'launched', options: sleepUnit('/bin/sleep %i') })).status, 201);
    assert.equal((await f.get('/units/tpl%407.service')).json().desiredState, 'launched');
  });

  test('[X-Fleet] rules become native constraints; Global=true a global service', async () => {
    const options = [
      ...sleepUnit(),
      { section: 'X-Fleet', name: 'MachineMetadata', value: 'region=eu' },
      { section: 'X-Fleet', name: 'MachineMetadata', value: 'region=us' },
      { section: 'X-Fleet', name: 'MachineMetadata', value: 'disk=ssd' },
      { section: 'X-Fleet', name: 'Conflicts', value: 'rules*.service' },
      { section: 'X-Fleet', name: 'MachineOf', value: 'db.service' },
    ];
    await f.put('/units/rules.service', { desiredState: 'launched', options });
    const svc = await s.client.services.get('rules.service');
    assert.deepEqual(svc.spec.constraints, { machineSelector: { region: ['eu', 'us'], disk: 'ssd' }, machineOf: 'db.service', conflicts: ['rules*.service'] });
    await f.put('/units/everywhere.service', { desiredState: 'launched', options: [...sleepUnit(), { section: 'X-Fleet', name: 'Global', value: 'true' }] });
    const g = await s.client.services.get('everywhere.service');
    assert.equal(g.spec.global, true);
    assert.equal(g.spec.replicas, undefined);
    assert.equal((await f.get('/units/everywhere.service')).text.includes('currentState'), false, 'a global unit has no single current state or machine');
  });

  test('MachineID with a short machine ID pins the one registered machine it names', async () => {
    const id = 'abcdef0123456789abcdef0123456789';
    await s.client.machines.create({ metadata: { name: id } } as never);
    await f.put('/units/pinned.service', { desiredState: 'launched', options: [...sleepUnit(), { section: 'X-Fleet', name: 'MachineID', value: 'abcdef01' }] });
    assert.equal((await s.client.services.get('pinned.service')).spec.constraints?.machine, id);
  });

  test('DELETE answers 204 and the unit is gone at once; a second DELETE answers 404', async () => {
    await f.put('/units/gone.service', { desiredState: 'launched', options: sleepUnit() });
    const r = await f.del('/units/gone.service');
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    assert.equal((await f.get('/units/gone.service')).status, 404);
    assert.equal((await f.get('/units')).text.includes('gone.service'), false);
    assert.equal(await s.client.services.find('gone.service'), undefined);
    const again = await f.del('/units/gone.service');
    assert.equal(again.status, 404);
    assert.equal(again.text, '{"error":{"code":404,"message":"unit does not exist"}}');
  });

  test('GET of an unknown unit answers 404 with fleet\'s error entity', async () => {
    const r = await f.get('/units/unknown.service');
    assert.equal(r.status, 404);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.text, '{"error":{"code":404,"message":"unit does not exist"}}');
  });

  test('values are written as Go writes JSON (<, >, & escaped) and ?alt=json is accepted', async () => {
    await f.put('/units/escape.service', { desiredState: 'loaded', options: sleepUnit('/bin/sh -c "a && b > c"') });
    const r = await f.get('/units/escape.service?alt=json');
    assert.equal(r.status, 200);
    assert.ok(r.text.includes('/bin/sh -c \\"a \\u0026\\u0026 b \\u003e c\\"'), r.text);
  });
});

describe('fleet /units pagination', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ controllers: false });
  });
  after(() => s.close());

  test('pages hold 100 units with a nextPageToken; the last page has none; a bad token answers 400', async () => {
    const f = fleet(s.url);
    for (let i = 0; i < 150; i++) {
      const r = await f.put(`/units/p${String(i).padStart(3, '0')}.service`, { desiredState: 'inactive', options: sleepUnit() });
      assert.equal(r.status, 201);
    }
    const first = (await f.get('/units')).json();
    assert.equal(first.units.length, 100);
    assert.equal(first.nextPageToken, 'ZAACAA==', 'limit 100, page 2, as fleet encodes it');
    assert.equal(first.units[0].name, 'p000.service');
    const second = (await f.get(`/units?nextPageToken=${first.nextPageToken}`)).json();
    assert.equal(second.units.length, 50);
    assert.equal(second.units[0].name, 'p100.service');
    assert.equal(second.nextPageToken, undefined);
    for (const [token, message] of [
      ['bogus', 'illegal base64 data at input byte 4'],
      ['AQACAA==', 'token limit must be 100'],
      ['ZAAAAA==', 'token page must be greater than zero'],
    ]) {
      const r = await f.get(`/units?nextPageToken=${token}`);
      assert.equal(r.status, 400, token);
      assert.deepEqual(r.json(), { error: { code: 400, message } }, token);
    }
    const two = await f.get('/units?nextPageToken=ZAACAA==&nextPageToken=ZAACAA==');
    assert.equal(two.json().error.message, 'too many values for page token');
    assert.deepEqual((await f.get('/units?nextPageToken=ZAAFAA==')).json(), {}, 'a page past the end is empty');
  });
});

describe('fleet pagination at an exact multiple of the page size', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ controllers: false });
  });
  after(() => s.close());

  /** Every page fleetctl would read, following nextPageToken until a page has none. */
  const pages = async (path: string, key: string) => {
    const out: number[] = [];
    for (let token: string | undefined = ''; token !== undefined; ) {
      const page = (await fleet(s.url).get(`${path}${token ? `?nextPageToken=${token}` : ''}`)).json();
      out.push(page[key]?.length ?? 0);
      token = page.nextPageToken;
    }
    return out;
  };

  test('100 and 200 units: full pages each with a nextPageToken, then a final empty page, as fleet pages them', async () => {
    const f = fleet(s.url);
    const add = async (from: number, to: number) => {
      for (let i = from; i < to; i++) assert.equal((await f.put(`/units/m${String(i).padStart(3, '0')}.service`, { desiredState: 'inactive', options: sleepUnit() })).status, 201);
    };
    await add(0, 100);
    assert.deepEqual(await pages('/units', 'units'), [100, 0]);
    assert.equal((await f.get('/units?nextPageToken=ZAACAA==')).text, '{}', 'the last page is empty, without a token');
    await add(100, 200);
    assert.deepEqual(await pages('/units', 'units'), [100, 100, 0]);
    await add(200, 201);
    assert.deepEqual(await pages('/units', 'units'), [100, 100, 1]);
  });
});

/** A request written byte for byte (fetch cannot send two Content-Type headers). */
function rawRequest(base: string, text: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), hostname, () => sock.end(text));
    let out = '';
    sock.on('data', (d) => (out += d.toString()));
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
  });
}

