// What the API refuses about ports, with the field path of each mistake, and that a refused
// object is not stored.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, startTestServer, type TestServer } from '../helpers.js';

describe('template ports and checks validation', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ controllers: false });
  });
  after(() => ts.close());

  const post = (name: string, template: Record<string, unknown>) =>
    http(`${ts.url}/api/v1/services`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name }, spec: { template: { command: ['true'], ...template } } }) });

  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['a name given twice', { ports: [{ name: 'http' }, { name: 'http' }] }, '/spec/template/ports/1/name', /named twice/],
    ['a default name taken by a given one', { ports: [{}, { name: 'port0' }] }, '/spec/template/ports/1/name', /named twice/],
    ['two names with one PORT_ variable', { ports: [{ name: 'a-b' }, { name: 'A-B' }] }, '/spec/template/ports/1/name', /PORT_A_B/],
    ['a fixed port asked twice for one protocol', { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] }, '/spec/template/ports/1/port', /80\/tcp/],
    ['a check naming a port that does not exist', { ports: [{ name: 'http' }], checks: [{ type: 'http', port: 'admin' }] }, '/spec/template/checks/0/port', /no port named "admin".*http/],
    ['a tcp check without a port, and no ports', { checks: [{ type: 'tcp' }] }, '/spec/template/checks/0/port', /needs a port/],
  ];
  for (const [what, template, path, message] of cases) {
    it(`refuses ${what} (422 at ${path})`, async () => {
      const res = await post('bad', template);
      assert.equal(res.status, 422, res.text);
      const details = res.json().error.details as { path: string; message: string }[];
      assert.ok(details.some((d) => d.path === path && message.test(d.message)), JSON.stringify(details));
      assert.equal((await http(`${ts.url}/api/v1/services/bad`)).status, 404);
    });
  }

  it('accepts the same port on two protocols, a check by port name or number, and udp with the same name rules', async () => {
    const res = await post('ok', { ports: [{ name: 'dns', port: 53 }, { name: 'dns-udp', port: 53, protocol: 'udp' }, {}], checks: [{ type: 'tcp', port: 'dns' }, { type: 'http', port: 8080 }] });
    assert.equal(res.status, 201, res.text);
  });

});
