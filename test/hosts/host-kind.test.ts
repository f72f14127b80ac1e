// The Host kind at the native door: defaults, and every bad field refused with 422 naming it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { send, useApiServer } from '../api/support.js';

describe('host kind', () => {
  // No controllers: nothing tries to reach the addresses below.
  const s = useApiServer({ controllers: false });
  const spec = { address: '192.0.2.10', credentials: { secret: 'ssh' } };

  it('fills port 22, user root and the secret\'s namespace, and is cluster-wide', async () => {
    const res = await send(`${s.api}/hosts`, 'POST', { metadata: { name: 'h1' }, spec });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.json().spec, { ...spec, port: 22, remoteUser: 'root', credentials: { secret: 'ssh', namespace: 'default' } });
    assert.equal(res.json().metadata.namespace, undefined);
  });

  const bad: [string, object, string, RegExp][] = [
    ['address', { address: 'not an address!' }, '/spec/address', /IP address or a DNS name/],
    ['port', { port: 70000 }, '/spec/port', /1 to 65535/],
    ['user', { remoteUser: 'Root;rm' }, '/spec/remoteUser', /login name/],
    ['secret', { credentials: { secret: 'a/b' } }, '/spec/credentials/secret', /must name a secret/],
    ['host key', { hostKey: 'md5:aa:bb' }, '/spec/hostKey', /SHA256:/],
    ['machine id', { machineId: 'xyz' }, '/spec/machineId', /32 lowercase hex/],
  ];
  for (const [what, change, path, message] of bad) {
    it(`refuses a bad ${what} with 422 naming ${path}, and creates nothing`, async () => {
      const res = await send(`${s.api}/hosts`, 'POST', { metadata: { name: `bad-${what.replace(' ', '-')}` }, spec: { ...spec, ...change } });
      assert.equal(res.status, 422, res.text);
      const details = res.json().error.details as { path: string; message: string }[];
      const found = details.find((d) => d.path === path);
      assert.ok(found, res.text);
      assert.match(found.message, message);
      assert.equal((await send(`${s.api}/hosts/bad-${what.replace(' ', '-')}`, 'GET')).status, 404);
    });
  }

  it('refuses a host without credentials', async () => {
    const res = await send(`${s.api}/hosts`, 'POST', { metadata: { name: 'nocreds' }, spec: { address: '192.0.2.11' } });
    assert.equal(res.status, 422, res.text);
    assert.match(res.text, /credentials/);
  });
});
